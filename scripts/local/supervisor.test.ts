import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntilReady, type ServiceProcess } from './supervisor';

const servers: Server[] = [];
const children: ServiceProcess['child'][] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A server on a free port answering `GET /` as `service` would. */
async function answeringAs(service: string): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', service, version: 'test' }));
  });
  servers.push(server);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return (server.address() as AddressInfo).port;
}

/** A process that stays up and serves nothing: the service whose port another process holds. */
function idleChild(): ServiceProcess['child'] {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('waitUntilReady', () => {
  it('takes a 200 from the service itself as ready', async () => {
    const port = await answeringAs('customer');
    await expect(waitUntilReady([{ name: 'customer', port, child: idleChild() }], 5_000)).resolves.toBeUndefined();
  });

  it('does not take a 200 from another service on the port as ready', async () => {
    // Two services given the same port: the second could not listen, and the first answers on it.
    const port = await answeringAs('cart');
    await expect(waitUntilReady([{ name: 'customer', port, child: idleChild() }], 1_500)).rejects.toThrow(/customer did not answer/);
  });
});
