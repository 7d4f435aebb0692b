// The eight services as `npm start` runs them: each its own Node process from its production bundle, on
// free ports, over the given database. For benchmarks that must not share one event loop between services.
import { join, resolve } from 'node:path';
import { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { SERVICE_NAMES, type ServiceName } from '@shop/contracts';
import { freePort } from '@shop/testing';
import { buildProject } from '../build';
import { startService, stopServices, waitUntilReady, type ServiceProcess } from '../local/supervisor';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface ServiceProcesses<S extends ServiceName = ServiceName> {
  urls: Record<S, string>;
  pids: Record<S, number>;
  /** SIGKILL to one service (no shutdown of any kind, as a crash or an OOM kill); resolves once it is gone. */
  kill(name: S): Promise<void>;
  /** Starts a killed or stopped service again with the same environment and port; resolves once it answers (within `readyTimeoutMs`, 60 s by default). */
  restart(name: S, readyTimeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the bundles (once per run) and starts every service, or only `options.services` (a benchmark of one
 * consumer that wants no other service's work on the machine); `env` adds to the common settings.
 */
export async function startServiceProcesses<S extends ServiceName = ServiceName>(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { services?: readonly S[] } = {},
): Promise<ServiceProcesses<S>> {
  const names = (options.services ?? SERVICE_NAMES) as readonly S[];
  await Promise.all(names.map((name) => buildProject(`apps/${name}`, { quiet: true })));
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: process.env['DATABASE_POOL_MAX'] ?? '5',
    ADMIN_API_TOKEN: LOCAL_ADMIN_TOKEN,
    SUPPORT_API_TOKEN: LOCAL_SUPPORT_TOKEN,
    LOG_LEVEL: 'error',
    ...env,
  };
  const services: ServiceProcess[] = [];
  const start = (name: S, port: number) =>
    startService({ name, index: SERVICE_NAMES.indexOf(name), port, env: common, entry: join(ROOT, 'dist', 'apps', name, 'main.js') });
  // One port each: freePort() hands back a port it has just let go of, and may hand back the same one twice.
  const ports = new Set<number>();
  for (const name of names) {
    let port = await freePort();
    while (ports.has(port)) port = await freePort();
    ports.add(port);
    services.push(start(name, port));
  }
  const find = (name: S) => services.findIndex((s) => s.name === name);
  try {
    await waitUntilReady(services, 60_000);
  } catch (err) {
    await stopServices(services, 5_000);
    throw err;
  }
  const urls = Object.fromEntries(services.map((s) => [s.name, `http://127.0.0.1:${s.port}`])) as Record<S, string>;
  const pids = Object.fromEntries(services.map((s) => [s.name, s.child.pid!])) as Record<S, number>;
  return {
    urls,
    pids,
    async kill(name) {
      const { child } = services[find(name)]!;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async restart(name, readyTimeoutMs = 60_000) {
      const i = find(name);
      const old = services[i]!;
      if (old.child.exitCode === null && old.child.signalCode === null) throw new Error(`${name} is still running (pid ${old.child.pid})`);
      services[i] = start(name, old.port);
      pids[name] = services[i].child.pid!;
      await waitUntilReady([services[i]], readyTimeoutMs);
    },
    stop: () => stopServices(services, 9_000),
  };
}
