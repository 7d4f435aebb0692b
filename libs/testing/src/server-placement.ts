import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Where a root-run embedded PostgreSQL keeps what its `postgres` user must reach when the project sits in a
 * folder only root can enter (root's home, every `mktemp -d`): a copy of the binaries, and the clusters. Both
 * are world-traversable (0755); each cluster folder itself is the server user's, mode 0700, as initdb requires.
 */
export const SHARED_ROOT = '/var/lib/shop-embedded-postgres';

/** The user the server runs as: undefined means "as this process" (anyone but root). */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

export interface ServerBinaries {
  initdb: string;
  postgres: string;
}

/** A problem the user can fix, said in one line: start.ts prints the message, never a stack trace. */
export class EmbeddedPostgresSetupError extends Error {
  override name = 'EmbeddedPostgresSetupError';
}

/**
 * PostgreSQL refuses to run as root, so under root the server runs as the `postgres` system user, created
 * when missing (as embedded-postgres's `createPostgresUser` does).
 */
export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let ids = idsOf('postgres');
  if (!ids) {
    const created = spawnSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd --system postgres; useradd --system -g postgres -M -d /nonexistent -s /usr/sbin/nologin postgres'], {
      encoding: 'utf8',
    });
    ids = idsOf('postgres');
    if (!ids) {
      throw new EmbeddedPostgresSetupError(
        `Running as root, the embedded PostgreSQL must run as a "postgres" system user and could not create one (${(created.stderr || created.error?.message || '').trim()}). ` +
          'Create it (useradd --system postgres), run as another user, or set DATABASE_URL to a PostgreSQL of your own.',
      );
    }
  }
  return { name: 'postgres', ...ids };
}

function idsOf(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * True when `user` can reach `path` (search permission on every folder on the way, and on `path` itself).
 * Asked of the kernel as that user, so ACLs and group membership count exactly as they will for the server.
 */
export function canReach(user: ServerUser | undefined, path: string): boolean {
  if (!user) return true;
  // cwd '/': the child starts as `user`, who may not be able to enter this process's working directory.
  const probe = spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', path], { uid: user.uid, gid: user.gid, cwd: '/' });
  return probe.status === 0;
}

/** The binaries of the `embedded-postgres` package for this platform (its own platform packages). */
async function packagedBinaries(): Promise<ServerBinaries & { packageDir: string }> {
  const entry = createRequire(import.meta.url).resolve('embedded-postgres');
  // The package exports only its server class; its platform lookup sits beside it. Importing the class would also
  // install exit hooks that call process.exit(0) and hide a failed test run's exit code.
  const binaryModule = (await import(pathToFileURL(join(dirname(entry), 'binary.js')).href)) as { default: () => Promise<ServerBinaries> };
  const { initdb, postgres } = await binaryModule.default();
  return { initdb, postgres, packageDir: dirname(dirname(dirname(postgres))) };
}

/**
 * The server's binaries, where `user` can execute them. Inside a private folder they are copied once per
 * package version to SHARED_ROOT (they find their libraries relative to themselves: RUNPATH `$ORIGIN/../lib`).
 */
export async function reachableBinaries(user: ServerUser | undefined): Promise<ServerBinaries> {
  const packaged = await packagedBinaries();
  if (canReach(user, packaged.postgres)) return packaged;
  const { name, version } = JSON.parse(readFileSync(join(packaged.packageDir, 'package.json'), 'utf8')) as { name: string; version: string };
  const target = join(SHARED_ROOT, 'binaries', `${name.replace(/[@/]/g, '_')}-${version}`);
  const copied = { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
  if (!existsSync(join(target, '.complete'))) {
    ensureSharedFolder(join(SHARED_ROOT, 'binaries'));
    // Copy beside, then rename: a concurrent start sees either nothing or a whole tree.
    const partial = `${target}.partial-${process.pid}`;
    try {
      cpSync(join(packaged.packageDir, 'native'), partial, { recursive: true, verbatimSymlinks: true });
      chmodSync(partial, 0o755);
      cpSync(join(packaged.packageDir, 'package.json'), join(partial, '.complete'));
      renameSync(partial, target);
    } catch (err) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(target, '.complete'))) throw setupError(`could not copy PostgreSQL's binaries to ${target}`, err);
    }
  }
  if (!canReach(user, copied.postgres)) {
    throw new EmbeddedPostgresSetupError(`The "${user!.name}" user cannot execute ${copied.postgres}; make ${SHARED_ROOT} readable by it, or set DATABASE_URL.`);
  }
  return copied;
}

/**
 * A data folder `user` can own and reach, for the folder the caller asked for. When the asked-for folder is out
 * of the user's reach, the cluster lives under SHARED_ROOT and the asked-for path becomes a symbolic link to it,
 * so the data is still found (and removed) through the project's data folder. Returns the real folder.
 */
export function placeDataDir(requested: string, user: ServerUser | undefined): string {
  mkdirSync(dirname(requested), { recursive: true });
  const linked = isSymlink(requested) ? readlinkSync(requested) : undefined;
  const real = linked ?? (canReach(user, dirname(requested)) ? requested : sharedClusterFor(requested));
  if (real !== requested) ensureSharedFolder(dirname(real));
  if (real !== requested && !linked) {
    // A cluster left there by a data folder that was since deleted is not this folder's data: start afresh.
    rmSync(real, { recursive: true, force: true });
    if (existsSync(requested)) moveInto(requested, real);
    else mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, requested);
  }
  mkdirSync(real, { recursive: true, mode: 0o700 });
  if (user) chownSync(real, user.uid, user.gid);
  chmodSync(real, 0o700);
  return real;
}

/** Removes a data folder placed by `placeDataDir`: the real folder and, when it was one, the link. */
export function removeDataDir(requested: string): void {
  if (isSymlink(requested)) {
    rmSync(readlinkSync(requested), { recursive: true, force: true });
    rmSync(requested, { force: true });
  } else {
    rmSync(requested, { recursive: true, force: true });
  }
}

function sharedClusterFor(requested: string): string {
  const hash = createHash('sha256').update(requested).digest('hex').slice(0, 16);
  // Named after the project's folder, so that `ls` tells whose cluster it is; the hash keeps clones apart.
  const project = basename(dirname(dirname(requested))).replace(/[^\w-]/g, '_');
  return join(SHARED_ROOT, 'clusters', `${project}-${basename(requested).replace(/[^\w-]/g, '_')}-${hash}`);
}

/** A cluster made while its folder was reachable moves along; a copy would need the same owner and modes. */
function moveInto(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    throw setupError(`could not move the existing data folder ${from} to ${to}`, err);
  }
}

function ensureSharedFolder(path: string): void {
  try {
    for (const folder of [SHARED_ROOT, path]) {
      mkdirSync(folder, { recursive: true, mode: 0o755 });
      chmodSync(folder, 0o755);
    }
  } catch (err) {
    throw setupError(`could not create ${path}`, err);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function setupError(what: string, cause: unknown): EmbeddedPostgresSetupError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new EmbeddedPostgresSetupError(
    `The project is in a folder the "postgres" user cannot enter, and ${what} (${reason}). Move the project somewhere it can reach, or set DATABASE_URL.`,
  );
}
