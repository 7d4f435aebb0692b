import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { freePort } from '@shop/testing';

/** What one load run measured. */
export interface LoadResult {
  requestsPerS: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers outside 2xx. */
  non2xx: number;
  /** Connection errors and timeouts (no answer at all). */
  errors: number;
  /** Answers per status code, e.g. `{ "200": 41234, "429": 12 }`. */
  statusCounts: Record<string, number>;
  /** The first few non-2xx answers (status and body), to tell a bug in the bench from one in the service. */
  failures: string[];
}

/** One request shape; `perRequest` gives the headers of each request (a different customer each time). */
export interface LoadTarget {
  url: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  perRequest?: () => Record<string, string>;
}

/**
 * Loads `target` with autocannon: `connections` keep-alive connections, each sending its next request when its
 * previous answer arrived, for `durationS` seconds. autocannon runs in this process, so the server measured
 * must be another process (its CPU is read from /proc) and the machine's cores are shared with the load.
 */
export async function runLoad(target: LoadTarget, options: { connections: number; durationS: number }): Promise<LoadResult> {
  const failures: string[] = [];
  const headers: Record<string, string> = target.body === undefined ? {} : { 'content-type': 'application/json' };
  const result = await autocannon({
    url: target.url,
    connections: options.connections,
    duration: options.durationS,
    requests: [
      {
        method: target.method ?? 'GET',
        headers,
        ...(target.body === undefined ? {} : { body: JSON.stringify(target.body) }),
        ...(target.perRequest ? { setupRequest: (request) => ({ ...request, headers: { ...headers, ...target.perRequest!() } }) } : {}),
        onResponse: (status, body) => {
          if ((status < 200 || status > 299) && failures.length < 5) failures.push(`${status} ${body.slice(0, 300)}`);
        },
      },
    ],
  });
  const statusCounts = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]));
  const answered = Object.values(statusCounts).reduce((sum, n) => sum + n, 0);
  return {
    requestsPerS: answered / result.duration,
    requests: answered,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCounts,
    failures,
  };
}

/** The hello-world baseline server, running. */
export interface HelloWorldServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts hello-world.server.ts in a Node process of its own and resolves once it listens. */
export async function startHelloWorld(): Promise<HelloWorldServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'hello-world.server.ts')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the hello-world server exited with code ${code} before listening`);
    }),
  ]);
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
