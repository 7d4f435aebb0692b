import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canReach, placeDataDir, removeDataDir, serverUser, SHARED_ROOT } from './server-placement';

const user = serverUser();
const folders: string[] = [];

/** A folder only its owner can enter, as `mktemp -d` and root's home are. */
function privateFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'placement-test-'));
  folders.push(folder);
  expect(statSync(folder).mode & 0o777).toBe(0o700);
  return folder;
}

afterEach(() => {
  for (const folder of folders.splice(0)) {
    removeDataDir(join(folder, '.data', 'postgres'));
    rmSync(folder, { recursive: true, force: true });
  }
});

describe('placeDataDir', () => {
  it('puts a cluster asked for inside a private folder where the server user reaches it, linked from the asked-for path', () => {
    const requested = join(privateFolder(), '.data', 'postgres');
    const real = placeDataDir(requested, user);
    if (!user) {
      // Not root: the server runs as this user, who can enter their own folder.
      expect(real).toBe(requested);
      return;
    }
    expect(canReach(user, requested)).toBe(false);
    expect(real.startsWith(`${SHARED_ROOT}/clusters/`)).toBe(true);
    expect(lstatSync(requested).isSymbolicLink()).toBe(true);
    expect(canReach(user, real)).toBe(true);
    expect(statSync(real)).toMatchObject({ uid: user.uid, gid: user.gid });
    expect(statSync(real).mode & 0o777).toBe(0o700);
  });

  it('finds the same cluster again through the link, so the data is kept between starts', () => {
    const requested = join(privateFolder(), '.data', 'postgres');
    const first = placeDataDir(requested, user);
    writeFileSync(join(first, 'PG_VERSION'), '18\n');
    expect(placeDataDir(requested, user)).toBe(first);
    expect(existsSync(join(first, 'PG_VERSION'))).toBe(true);
  });

  it('starts afresh when the data folder was deleted, instead of reviving the cluster it pointed to', () => {
    const folder = privateFolder();
    const requested = join(folder, '.data', 'postgres');
    const first = placeDataDir(requested, user);
    writeFileSync(join(first, 'PG_VERSION'), '18\n');
    rmSync(join(folder, '.data'), { recursive: true });
    const second = placeDataDir(requested, user);
    expect(readdirSync(second)).toEqual([]);
  });

  it('removes the cluster and its link', () => {
    const requested = join(privateFolder(), '.data', 'postgres');
    const real = placeDataDir(requested, user);
    removeDataDir(requested);
    expect(existsSync(real)).toBe(false);
    expect(() => lstatSync(requested)).toThrow();
  });
});

describe('canReach', () => {
  it('tells a folder the server user may enter from one it may not', () => {
    expect(canReach(user, '/tmp')).toBe(true);
    // Anyone may enter their own folder; only another user (root's server user) is kept out.
    expect(canReach(user, privateFolder())).toBe(!user);
  });
});
