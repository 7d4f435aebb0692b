import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { defineRoute, serveApp } from '@shop/http';
import { inSpan, producerTraceparent, setupTracing } from '@shop/observability';
import { useTestDatabase } from '@shop/testing';
import { createServiceApp } from '../src';
import { testAppContext } from '../src/test';

// pg and node:http are imported above (through @shop/db and @shop/http) before tracing starts, as in the
// services' ESM bundles: the spans below prove the instrumentations hook them all the same.
const db = await useTestDatabase({ poolMax: 2 });
const exporter = new InMemorySpanExporter();
const tracing = await setupTracing({ service: 'customer', version: 'test', exporter });
const context = testAppContext('customer', db);
const { app } = createServiceApp(context, { service: 'customer', description: 'test', isKnownCustomer: async () => true });
defineRoute(app, { method: 'get', path: '/things/:id', summary: 'One query', responses: { 200: { description: 'ok' } } }, async (c) => {
  await db.prisma.$queryRawUnsafe('SELECT 1');
  return c.json({ id: c.req.param('id') });
});
const running = await serveApp({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', logger: context.logger, shutdownTimeoutMs: 1_000, closers: [] });
afterAll(async () => {
  await running.shutdown();
  await tracing.shutdown();
});
beforeEach(() => exporter.reset());

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe('tracing of a service', () => {
  it('traces a request as a server span named by its route, continuing the caller, with its queries inside', async () => {
    const res = await fetch(`http://127.0.0.1:${running.port}/things/42`, { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } });
    expect(res.status).toBe(200);
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(server).toMatchObject({ name: 'GET /things/:id', attributes: expect.objectContaining({ 'http.route': '/things/:id' }) });
    expect(server!.spanContext().traceId).toBe(CALLER_TRACE);
    expect(parentOf(server!)).toBe(CALLER_SPAN);
    // The answer names the server span, so a caller can find it.
    expect(res.headers.get('traceparent')).toBe(`00-${CALLER_TRACE}-${server!.spanContext().spanId}-01`);
    const queries = spans.filter((s) => s.kind === SpanKind.CLIENT && s.attributes['db.system.name'] === 'postgresql' && String(s.name).startsWith('pg.query'));
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(query.spanContext().traceId).toBe(CALLER_TRACE);
      expect(parentOf(query)).toBe(server!.spanContext().spanId);
    }
  });

  it('leaves health probes and queries outside any trace untraced', async () => {
    expect((await fetch(`http://127.0.0.1:${running.port}/healthz`)).status).toBe(200);
    await db.pool.query('SELECT 1');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("continues a message's trace in a consumer span, whose events are created as its children", async () => {
    const message = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
    const published = await inSpan('process order.created', { kind: 'consumer', parent: message }, async () => {
      await db.pool.query('SELECT 1');
      return producerTraceparent('create email.requested', { 'messaging.destination.name': 'email.requested' });
    });
    const spans = exporter.getFinishedSpans();
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    expect(consumer.spanContext().traceId).toBe(CALLER_TRACE);
    expect(parentOf(consumer)).toBe(CALLER_SPAN);
    expect(parentOf(producer)).toBe(consumer.spanContext().spanId);
    expect(published).toBe(`00-${CALLER_TRACE}-${producer.spanContext().spanId}-01`);
    expect(spans.find((s) => String(s.name).startsWith('pg.query'))).toMatchObject({ parentSpanContext: expect.objectContaining({ spanId: consumer.spanContext().spanId }) });
  });
});
