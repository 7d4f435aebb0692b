import { spawn, type ChildProcess } from 'node:child_process';
import { relayLogLines } from './log-lines';

export interface ServiceProcess {
  name: string;
  port: number;
  child: ChildProcess;
}

/**
 * Starts one service as its own Node process from its bundle, as Cloud Run would. The IPC channel lets the
 * child notice a supervisor that died without cleaning up (SIGKILL) and shut itself down.
 */
export function startService(options: { name: string; index: number; port: number; entry: string; env: NodeJS.ProcessEnv }): ServiceProcess {
  // No --enable-source-maps: the bundle's launcher turns them on for the bundle alone (scripts/build.ts).
  // SERVICE_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) is for profiling a benchmark's services:
  // Node refuses --cpu-prof in NODE_OPTIONS.
  const nodeArgs = process.env['SERVICE_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, options.entry], {
    env: { ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: Ctrl-C reaches the supervisor only, which then stops services before the database.
    detached: true,
  });
  relayLogLines(options.name, options.index, child.stdout!, process.stdout);
  relayLogLines(options.name, options.index, child.stderr!, process.stderr);
  return { name: options.name, port: options.port, child };
}

/**
 * Polls `GET /` on every service until each answers 200 as itself (`{"service": name}`) or the deadline
 * passes. A 200 from another process on the port is not readiness: a service that lost its port to another
 * (EADDRINUSE) would otherwise look ready, and its requests would reach the other one.
 */
export async function waitUntilReady(services: ServiceProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    services.map(async (s) => {
      for (;;) {
        if (s.child.exitCode !== null) throw new Error(`${s.name} exited with code ${s.child.exitCode} while starting`);
        try {
          const res = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(1_000) });
          const answer = res.ok ? ((await res.json()) as { service?: unknown }) : undefined;
          if (answer?.service === s.name) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`${s.name} did not answer on port ${s.port} within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );
}

/** SIGTERM to every service, SIGKILL to any still alive after `graceMs`. */
export async function stopServices(services: ServiceProcess[], graceMs: number): Promise<void> {
  await Promise.all(
    services.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
          const timer = setTimeout(() => s.child.kill('SIGKILL'), graceMs);
          s.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          s.child.kill('SIGTERM');
        }),
    ),
  );
}
