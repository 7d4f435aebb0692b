import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { metadataIdTokens } from '@shop/http';
import { httpServiceClient, ServiceUnreachable } from './service-client';

/** An HTTP peer that records what it was asked and answers with `answer`. */
async function peer(answer: (url: URL) => { status: number; body: string }) {
  const seen: { url: URL; headers: IncomingHttpHeaders }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://peer');
    seen.push({ url, headers: req.headers });
    const { status, body } = answer(url);
    res.writeHead(status).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}
const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

/** An unsigned JWT with `exp` (the client reads it only to know when to fetch again). */
const jwt = (exp: number, aud: string) => ['e30', Buffer.from(JSON.stringify({ aud, exp })).toString('base64url'), 'sig'].join('.');

describe("the console's client of the other services", () => {
  it('proves itself with an ID token for each service from the metadata server, fetched once while it lasts', async () => {
    const issued: string[] = [];
    const metadata = await peer((url) => {
      issued.push(jwt(Math.floor(Date.now() / 1000) + 3600, url.searchParams.get('audience')!));
      return { status: 200, body: issued.at(-1)! };
    });
    const order = await peer(() => ({ status: 200, body: '{"items":[]}' }));
    const client = httpServiceClient({ order: `http://${order.host}/` }, undefined, metadataIdTokens({ host: metadata.host }));
    for (let i = 0; i < 2; i++) expect((await client('order', '/admin/events?correlation_id=x', { Authorization: 'Bearer support' })).status).toBe(200);

    expect(metadata.seen).toHaveLength(1);
    expect(metadata.seen[0]!.url.pathname).toBe('/computeMetadata/v1/instance/service-accounts/default/identity');
    expect(metadata.seen[0]!.url.searchParams.get('audience')).toBe(`http://${order.host}`);
    expect(metadata.seen[0]!.headers['metadata-flavor']).toBe('Google');
    for (const { headers } of order.seen) {
      expect(headers['x-serverless-authorization']).toBe(`Bearer ${issued[0]}`);
      // The support token stays where the service reads it.
      expect(headers['authorization']).toBe('Bearer support');
    }
  });

  it('fetches a new token once the one it holds is about to expire', async () => {
    const metadata = await peer((url) => ({ status: 200, body: jwt(Math.floor(Date.now() / 1000) + 60, url.searchParams.get('audience')!) }));
    const order = await peer(() => ({ status: 200, body: '{}' }));
    const client = httpServiceClient({ order: `http://${order.host}/` }, undefined, metadataIdTokens({ host: metadata.host }));
    await client('order', '/x', {});
    await client('order', '/x', {});
    expect(metadata.seen).toHaveLength(2);
  });

  it('sends no ID token off Cloud Run, and calls a service it cannot get a token for unreachable', async () => {
    const order = await peer(() => ({ status: 200, body: '{}' }));
    await httpServiceClient({ order: `http://${order.host}/` })('order', '/x', {});
    expect(order.seen[0]!.headers['x-serverless-authorization']).toBeUndefined();

    const refusing = await peer(() => ({ status: 403, body: 'no' }));
    const client = httpServiceClient({ order: `http://${order.host}/` }, undefined, metadataIdTokens({ host: refusing.host }));
    await expect(client('order', '/x', {})).rejects.toBeInstanceOf(ServiceUnreachable);
    expect(order.seen).toHaveLength(1);
  });
});
