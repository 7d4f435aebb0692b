// The eight services as `npm start` runs them: each its own Node process from its production bundle, on
// free ports, over the given database. For benchmarks that must not share one event loop between services.
import { join, resolve } from 'node:path';
import { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { SERVICE_NAMES, type ServiceName } from '@shop/contracts';
import { freePort } from '@shop/testing';
import { buildProject } from '../build';
import { startService, stopServices, waitUntilReady, type ServiceProcess } from '../local/supervisor';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface ServiceProcesses {
  urls: Record<ServiceName, string>;
  pids: Record<ServiceName, number>;
  stop(): Promise<void>;
}

/** Builds the bundles (once per run) and starts every service; `env` adds to the common settings. */
export async function startServiceProcesses(databaseUrl: string, env: Record<string, string> = {}): Promise<ServiceProcesses> {
  await Promise.all(SERVICE_NAMES.map((name) => buildProject(`apps/${name}`, { quiet: true })));
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
  for (const [index, name] of SERVICE_NAMES.entries()) {
    services.push(startService({ name, index, port: await freePort(), env: common, entry: join(ROOT, 'dist', 'apps', name, 'main.js') }));
  }
  try {
    await waitUntilReady(services, 60_000);
  } catch (err) {
    await stopServices(services, 5_000);
    throw err;
  }
  const urls = Object.fromEntries(services.map((s) => [s.name, `http://127.0.0.1:${s.port}`])) as Record<ServiceName, string>;
  const pids = Object.fromEntries(services.map((s) => [s.name, s.child.pid!])) as Record<ServiceName, number>;
  return { urls, pids, stop: () => stopServices(services, 9_000) };
}
