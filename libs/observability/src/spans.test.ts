import { describe, expect, it } from 'vitest';
import { currentLogContext, runWithLogContext } from './log-context';
import { currentSpanTrace, inSpan, producerTraceparent, runInTrace, startSpan } from './spans';
import { setupTracing, traceExporterOf } from './tracing';

const MESSAGE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const REQUEST = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: false };

describe('spans without an exporter', () => {
  it('loads no SDK: nothing is registered with the OpenTelemetry API', async () => {
    await (await setupTracing({ service: 'cart', version: 'test', exporter: 'none' })).shutdown();
    expect(Object.getOwnPropertySymbols(globalThis).map(String)).not.toContainEqual(expect.stringContaining('opentelemetry'));
    expect(currentSpanTrace()).toBeUndefined();
  });

  it("runs a consumer in the message's trace, so what it publishes carries that traceparent on", async () => {
    const published = await inSpan('process order.created', { kind: 'consumer', parent: MESSAGE }, async () => producerTraceparent('create x', {}));
    expect(published).toBe(MESSAGE);
  });

  it('publishes in the current trace, and with no trace carries none', () => {
    expect(runWithLogContext({ trace: REQUEST }, () => producerTraceparent('create x', {}))).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
    expect(producerTraceparent('create x', {})).toBeUndefined();
  });

  it('keeps the current trace when a span names no parent, and a malformed parent starts none', async () => {
    await runWithLogContext({ trace: REQUEST }, () => inSpan('send mail', { kind: 'client' }, async () => expect(currentLogContext()?.trace).toEqual(REQUEST)));
    await inSpan('process x', { kind: 'consumer', parent: 'garbage' }, async () => expect(currentLogContext()?.trace).toBeUndefined());
    await runInTrace(MESSAGE, async () => expect(producerTraceparent('create x', {})).toBe(MESSAGE));
    expect(() => startSpan('send x', { kind: 'producer', parent: MESSAGE }).end()).not.toThrow();
  });
});

describe('traceExporterOf', () => {
  it('exports over OTLP when an endpoint is set, to Cloud Trace on Cloud Run, and nowhere otherwise', () => {
    expect(traceExporterOf({})).toBe('none');
    expect(traceExporterOf({ GOOGLE_CLOUD_PROJECT: 'shop' })).toBe('none');
    expect(traceExporterOf({ K_SERVICE: 'cart', GOOGLE_CLOUD_PROJECT: 'shop' })).toBe('cloud-trace');
    expect(traceExporterOf({ K_SERVICE: 'cart', GOOGLE_CLOUD_PROJECT: 'shop', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
    expect(traceExporterOf({ K_SERVICE: 'cart', GOOGLE_CLOUD_PROJECT: 'shop', TRACE_EXPORTER: 'none' })).toBe('none');
  });
});
