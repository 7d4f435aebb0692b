// One checkout is one trace (DESIGN.md, "Seeing inside"), also when inventory reserves it in a batch with
// other checkouts: each message of the batch gets its own consumer span, and the answer inventory writes for
// it continues that message's trace rather than one shared by the batch (or none).
import { afterAll, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { setupTracing } from '@shop/observability';
import { useTestDatabase } from '@shop/testing';
import { deliver, inventoryContext, message, orderRequested, seedStock } from './inventory-test-kit';

const db = await useTestDatabase({ poolMax: 2 });
const exporter = new InMemorySpanExporter();
const tracing = await setupTracing({ service: 'inventory', version: 'test', exporter });
afterAll(() => tracing.shutdown());
const context = inventoryContext(db);

const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_B = '0af7651916cd43dd8448eb211c80319c';
const SPAN_A = '00f067aa0ba902b7';
const SPAN_B = 'b7ad6b7169203331';

describe('order-requested in one batch, traced', () => {
  it("answers each request in its own message's trace, under a consumer span of its own", async () => {
    await seedStock(db, { 'TRACED-SKU': 1 });
    const won = orderRequested([['TRACED-SKU', 1]]);
    const lost = orderRequested([['TRACED-SKU', 1]]);
    const inTrace = (payload: typeof won, trace: string, span: string) => {
      const wire = message('order-requested', payload);
      return { ...wire, attributes: { ...wire.attributes, traceparent: `00-${trace}-${span}-01` } };
    };
    const outcomes = await deliver(context, 'order-requested', [inTrace(won, TRACE_A, SPAN_A), inTrace(lost, TRACE_B, SPAN_B)]);
    expect(outcomes).toEqual([{ status: 'ack' }, { status: 'ack' }]);

    const spans = exporter.getFinishedSpans();
    const consumers = spans.filter((s) => s.kind === SpanKind.CONSUMER && s.name === 'process order-requested');
    expect(consumers.map((s) => [s.spanContext().traceId, s.parentSpanContext?.spanId]).sort()).toEqual([
      [TRACE_B, SPAN_B],
      [TRACE_A, SPAN_A],
    ].sort());
    const consumerOf = (trace: string) => consumers.find((s) => s.spanContext().traceId === trace)!.spanContext().spanId;

    const { rows } = await db.pool.query<{ topic: string; request_id: string; traceparent: string }>(
      `SELECT topic, payload->>'request_id' AS request_id, attributes->>'traceparent' AS traceparent FROM inventory.outbox
       WHERE topic IN ('stock-available', 'stock.rejected') ORDER BY id`,
    );
    const answerTo = (requestId: string) => rows.find((r) => r.request_id === requestId)!;
    expect(answerTo(won.request_id)).toMatchObject({ topic: 'stock-available' });
    expect(answerTo(lost.request_id)).toMatchObject({ topic: 'stock.rejected' });
    for (const [request, trace] of [[won, TRACE_A], [lost, TRACE_B]] as const) {
      const [, traceId, parentSpan] = answerTo(request.request_id).traceparent.split('-');
      expect(traceId).toBe(trace);
      // The answer's traceparent names its creation, a PRODUCER span under the request's consumer span.
      const producer = spans.find((s) => s.kind === SpanKind.PRODUCER && s.spanContext().spanId === parentSpan)!;
      expect(producer.parentSpanContext?.spanId).toBe(consumerOf(trace));
    }
  });
});
