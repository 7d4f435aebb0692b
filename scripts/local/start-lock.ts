import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LockOwner {
  pid: number;
  startedAt: string;
}

export class AlreadyRunningError extends Error {
  override name = 'AlreadyRunningError';
  constructor(readonly owner: LockOwner) {
    super(`already running as pid ${owner.pid} since ${owner.startedAt}`);
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

/**
 * One `npm start` per checkout: the lock file names the running supervisor. A lock whose process is gone
 * (killed with SIGKILL, machine rebooted) is stale and taken over.
 */
export function acquireStartLock(path: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  const owner: LockOwner = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(owner), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let existing: LockOwner | undefined;
      try {
        existing = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
      } catch {
        existing = undefined;
      }
      if (existing && isAlive(existing.pid)) throw new AlreadyRunningError(existing);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the start lock at ${path}`);
}
