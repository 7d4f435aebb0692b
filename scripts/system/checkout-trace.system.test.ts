// DESIGN.md "Seeing inside": one checkout is one trace, across cart → inventory → order → cart/notification →
// e-mail. The whole system runs in this process with OpenTelemetry exporting to memory; the checkout is a real
// HTTP request (the HTTP instrumentation's server span), and every hop after it is the services' own work.
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { setupTracing } from '@shop/observability';
import { asCustomer, eventually, expectJson, JOHN, post, stockedProduct, useSystem } from './system-kit';

const exporter = new InMemorySpanExporter();
const tracing = await setupTracing({ service: 'system', version: 'test', exporter });
afterAll(() => tracing.shutdown());
const system = await useSystem();
const urls = await system.listen();

/** A hop of the checkout, and the earlier hop (or the cart request, `request`) it must descend from. */
interface Hop {
  key: string;
  kind: SpanKind;
  name: string;
  subscription?: string;
  after: string;
}

const HOPS: Hop[] = [
  { key: 'created order-requested', kind: SpanKind.PRODUCER, name: 'create order-requested', after: 'request' },
  { key: 'inventory', kind: SpanKind.CONSUMER, name: 'process order-requested', subscription: 'inventory.order-requested', after: 'created order-requested' },
  { key: 'created stock-available', kind: SpanKind.PRODUCER, name: 'create stock-available', after: 'inventory' },
  { key: 'order', kind: SpanKind.CONSUMER, name: 'process stock-available', subscription: 'order.stock-available', after: 'created stock-available' },
  { key: 'created order.created', kind: SpanKind.PRODUCER, name: 'create order.created', after: 'order' },
  { key: 'cart', kind: SpanKind.CONSUMER, name: 'process order.created', subscription: 'cart.order.created', after: 'created order.created' },
  { key: 'inventory commits', kind: SpanKind.CONSUMER, name: 'process order.created', subscription: 'inventory.order.created', after: 'created order.created' },
  { key: 'notification', kind: SpanKind.CONSUMER, name: 'process order.created', subscription: 'notification.order.created', after: 'created order.created' },
  { key: 'created email.requested', kind: SpanKind.PRODUCER, name: 'create email.requested', after: 'notification' },
  { key: 'email', kind: SpanKind.CONSUMER, name: 'process email.requested', subscription: 'email.email.requested', after: 'created email.requested' },
  { key: 'smtp', kind: SpanKind.CLIENT, name: 'smtp send', after: 'email' },
  { key: 'delivered', kind: SpanKind.CONSUMER, name: 'process email.delivered', subscription: 'notification.email.delivered', after: 'email' },
];

function isHop(span: ReadableSpan, hop: Hop): boolean {
  return span.kind === hop.kind && span.name === hop.name && (!hop.subscription || span.attributes['messaging.consumer.group.name'] === hop.subscription);
}

/** The span's ancestors, nearest first, as far as the recorded spans reach. */
function ancestorsOf(span: ReadableSpan, byId: Map<string, ReadableSpan>): ReadableSpan[] {
  const chain: ReadableSpan[] = [];
  for (let parent = byId.get(span.parentSpanContext?.spanId ?? ''); parent; parent = byId.get(parent.parentSpanContext?.spanId ?? '')) chain.push(parent);
  return chain;
}

describe('the trace of a checkout', () => {
  it('is one trace from the cart request to the e-mail sent, every hop a descendant of the one before', async () => {
    await stockedProduct(system, 'TRACE-TEE', 5, 1500);
    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'TRACE-TEE', quantity: 1 }, asCustomer(JOHN))), 200);
    await system.quiesce();
    exporter.reset();

    const res = await fetch(`${urls.cart}/cart/convert-to-order`, post({}, asCustomer(JOHN)));
    await expectJson(res, 202);
    await eventually(async () => exporter.getFinishedSpans(), (spans) => spans.some((s) => isHop(s, HOPS.at(-1)!)), 30_000);
    await system.quiesce();

    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /cart/convert-to-order');
    expect(request, 'the cart request is a server span named by its route').toBeDefined();
    const traceId = request!.spanContext().traceId;
    // The answer names the request's span: support can go from a customer's response to the whole trace.
    expect(res.headers.get('traceparent')).toBe(`00-${traceId}-${request!.spanContext().spanId}-01`);

    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const seen = new Map<string, ReadableSpan>([['request', request!]]);
    for (const hop of HOPS) {
      const matches = spans.filter((s) => isHop(s, hop));
      expect(matches.map((s) => s.spanContext().traceId), `${hop.key}: one span, in the checkout's trace`).toEqual([traceId]);
      const span = matches[0]!;
      const ancestors = ancestorsOf(span, byId);
      expect(ancestors.at(-1), `${hop.key} descends from the cart request`).toBe(request);
      expect(ancestors, `${hop.key} descends from ${hop.after}`).toContain(seen.get(hop.after));
      if (hop.kind === SpanKind.CONSUMER) {
        // A consumed event continues the producer's trace: its parent is the span that created the event.
        expect(ancestors[0], `${hop.key}'s parent`).toMatchObject({ kind: SpanKind.PRODUCER, name: hop.name.replace('process', 'create') });
      }
      seen.set(hop.key, span);
    }

    // Everything the checkout set off is in this one trace: no event was created, sent or handled in another.
    const messaging = spans.filter((s) => s.kind === SpanKind.PRODUCER || s.kind === SpanKind.CONSUMER);
    expect(messaging.filter((s) => s.spanContext().traceId !== traceId).map((s) => s.name)).toEqual([]);
    // The relay's send of each created event is part of it too, beside its consumers.
    const sends = spans.filter((s) => s.kind === SpanKind.PRODUCER && s.name.startsWith('send '));
    expect(sends.map((s) => s.name)).toEqual(expect.arrayContaining(['send order-requested', 'send stock-available', 'send order.created', 'send email.requested']));
    for (const send of sends) expect(byId.get(send.parentSpanContext?.spanId ?? '')?.name).toBe(send.name.replace('send', 'create'));
    // The database calls of the hops are inside it as well.
    expect(spans.filter((s) => s.name.startsWith('pg.query') && s.spanContext().traceId === traceId).length).toBeGreaterThan(HOPS.length);
  });
});
