import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { inSpan, setupTracing } from '../src';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

// A collector speaking OTLP/HTTP with JSON, which is what the exporter sends: it keeps every span it is given.
const received: { service: string | undefined; span: OtlpSpan }[] = [];
const collector = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  req.on('end', () => {
    if (req.url === '/v1/traces') {
      const data = JSON.parse(body) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const rs of data.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        for (const ss of rs.scopeSpans) for (const span of ss.spans) received.push({ service, span });
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

describe('setupTracing with OTLP', () => {
  it('sends spans to OTEL_EXPORTER_OTLP_ENDPOINT, named by service, by the time it shuts down', async () => {
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const tracing = await setupTracing({ service: 'order', version: '1.2.3', exporter: 'otlp' });
    const message = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await inSpan('process stock-available', { kind: 'consumer', parent: message }, async () => undefined);
    await tracing.shutdown();
    expect(received.filter((r) => r.span.name === 'process stock-available')).toEqual([
      {
        service: 'order',
        span: expect.objectContaining({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentSpanId: '00f067aa0ba902b7', kind: 5 /* OTLP's SPAN_KIND_CONSUMER */ }),
      },
    ]);
  });
});
