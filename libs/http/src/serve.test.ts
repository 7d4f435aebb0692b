import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@shop/observability';
import { serveApp } from './serve';
import { deferred } from './test-support';

const logger = createLogger({ service: 'test', level: 'silent' });

function get(port: number, path: string, agent?: Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('serveApp', () => {
  it('drains: stops accepting, finishes the request in flight, then runs the closers in order', async () => {
    const release = deferred();
    const started = deferred();
    const events: string[] = [];
    const running = await serveApp({
      fetch: async (req) => {
        if (new URL(req.url).pathname === '/slow') {
          started.resolve();
          await release.promise;
          events.push('slow answered');
        }
        return new Response('ok');
      },
      port: 0,
      hostname: '127.0.0.1',
      logger,
      shutdownTimeoutMs: 5_000,
      onDrain: () => events.push('drain'),
      closers: [async () => void events.push('close consumers'), async () => void events.push('close database')],
    });
    const agent = new Agent({ keepAlive: true });
    // An idle keep-alive connection must not hold the shutdown open.
    expect((await get(running.port, '/', agent)).status).toBe(200);
    const slow = get(running.port, '/slow', agent);
    await started.promise;

    const stopped = running.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    expect(await canConnect(running.port)).toBe(false);
    expect(events).toEqual(['drain']);

    const began = Date.now();
    release.resolve();
    const answer = await slow;
    expect(answer).toMatchObject({ status: 200, body: 'ok', connection: 'close' });
    await stopped;
    // Not held for the keep-alive timeout (5 s) by the socket that carried the slow request.
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(events).toEqual(['drain', 'slow answered', 'close consumers', 'close database']);
    agent.destroy();
  });

  it('keeps closing when one closer fails, and removes its signal handlers once stopped', async () => {
    const before = process.listenerCount('SIGTERM');
    const beforeInt = process.listenerCount('SIGINT');
    const closed: string[] = [];
    const running = await serveApp({
      fetch: () => new Response('ok'),
      port: 0,
      hostname: '127.0.0.1',
      logger,
      shutdownTimeoutMs: 5_000,
      closers: [() => Promise.reject(new Error('broken consumer')), async () => void closed.push('database')],
    });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    await running.shutdown();
    await running.shutdown();
    expect(closed).toEqual(['database']);
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(process.listenerCount('SIGINT')).toBe(beforeInt);
  });

  it('rejects when the port is taken instead of hanging', async () => {
    const first = await serveApp({ fetch: () => new Response('ok'), port: 0, hostname: '127.0.0.1', logger, shutdownTimeoutMs: 1_000, closers: [] });
    await expect(
      serveApp({ fetch: () => new Response('ok'), port: first.port, hostname: '127.0.0.1', logger, shutdownTimeoutMs: 1_000, closers: [] }),
    ).rejects.toThrow(/EADDRINUSE/);
    await first.shutdown();
  });
});
