// Cloud Trace on Cloud Run: spans go over OTLP to the Telemetry API, with an access token of the service
// account from the metadata server. Both peers run here speaking their real wire formats: a metadata server
// (GCE_METADATA_HOST, as on Cloud Run) and an OTLP/HTTP receiver in the Telemetry API's place.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { inSpan, setupTracing } from '../src';

const PROJECT = 'shop-production';
const ACCESS_TOKEN = 'ya29.test-access-token';

const metadataRequests: string[] = [];
const metadata = createServer((req, res) => {
  metadataRequests.push(req.url ?? '');
  if (req.headers['metadata-flavor'] !== 'Google') return void res.writeHead(403).end();
  const headers = { 'Metadata-Flavor': 'Google' };
  if (req.url?.startsWith('/computeMetadata/v1/instance/service-accounts/default/token')) {
    return void res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' }));
  }
  if (req.url?.startsWith('/computeMetadata/v1/project/project-id')) return void res.writeHead(200, headers).end(PROJECT);
  // The client library's "are we on Google Cloud?" probe, and anything else it may ask.
  if (req.url === '/computeMetadata/v1/instance' || req.url === '/computeMetadata/v1/instance/') return void res.writeHead(200, headers).end('{}');
  res.writeHead(404, headers).end();
});

interface Export {
  headers: IncomingHttpHeaders;
  resource: Record<string, string | undefined>;
  spans: { name: string; traceId: string }[];
}
const exports: Export[] = [];
const telemetryApi = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  req.on('end', () => {
    if (req.method === 'POST' && req.url === '/v1/traces') {
      const data = JSON.parse(body) as {
        resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string; traceId: string }[] }[] }[];
      };
      for (const rs of data.resourceSpans) {
        exports.push({
          headers: req.headers,
          resource: Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue])),
          spans: rs.scopeSpans.flatMap((ss) => ss.spans),
        });
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
});

const listen = (server: ReturnType<typeof createServer>) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const metadataPort = await listen(metadata);
const telemetryPort = await listen(telemetryApi);
afterAll(async () => {
  await Promise.all([metadata, telemetryApi].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe('setupTracing on Google Cloud (cloud-trace)', () => {
  it('sends spans over OTLP to the Telemetry API as the service account, filed under the project', async () => {
    process.env['GCE_METADATA_HOST'] = `127.0.0.1:${metadataPort}`;
    const tracing = await setupTracing({
      service: 'cart',
      version: 'cart-00042-abc',
      exporter: 'cloud-trace',
      projectId: PROJECT,
      telemetryEndpoint: `http://127.0.0.1:${telemetryPort}`,
    });
    await inSpan('process order.created', { kind: 'consumer', parent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, async () => undefined);
    await tracing.shutdown();

    const sent = exports.filter((e) => e.spans.some((s) => s.name === 'process order.created'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers['authorization']).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(sent[0]!.headers['x-goog-user-project']).toBe(PROJECT);
    expect(sent[0]!.resource).toMatchObject({ 'service.name': 'cart', 'service.version': 'cart-00042-abc', 'gcp.project_id': PROJECT });
    expect(sent[0]!.spans.find((s) => s.name === 'process order.created')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(metadataRequests.some((url) => url.startsWith('/computeMetadata/v1/instance/service-accounts/default/token'))).toBe(true);
  });
});
