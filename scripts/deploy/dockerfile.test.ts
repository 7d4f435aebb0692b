import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDockerfile, type Stage } from './dockerfile';
import { bundlePath, deployables, REPO_ROOT } from './package-app';

/** A .dockerignore pattern as Docker applies it: anchored at the context root, `**` any depth, a directory excludes its contents. */
function ignoredBy(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const regex = new RegExp(
      `^${pattern
        .split('/')
        .map((part) => (part === '**' ? '(?:.*)' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?')}(?:/.*)?$`,
    );
    if (regex.test(path)) ignored = !negate;
  }
  return ignored;
}

describe('the Dockerfile', () => {
  let stages: Stage[];
  let globalArgs: string[];
  let deployable: string[];

  beforeAll(async () => {
    ({ stages, globalArgs } = parseDockerfile(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8')));
    deployable = await deployables();
  });

  const stage = (name: string) => {
    const found = stages.find((s) => s.name === name);
    if (!found) throw new Error(`no stage ${name}`);
    return found;
  };

  it('builds with npm ci and packages the chosen app with scripts/deploy/package-app.ts', () => {
    const build = stage('build');
    const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => r.includes('node scripts/deploy/package-app.ts "$APP" /out'))).toBe(true);
    expect(globalArgs).toContain('APP');
    expect(globalArgs.find((a) => a.startsWith('NODE_IMAGE='))).toMatch(/^NODE_IMAGE=node:24[\w.-]*-slim$/);
  });

  it('runs on Node 24 slim, as a non-root user, with only the packaged output', () => {
    const runtime = stage('runtime');
    expect(runtime.from).toBe('${NODE_IMAGE}');
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(user).toEqual(['node']);
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual(['--from=build --chown=root:root /out /app']);
    expect(runtime.instructions.find((i) => i.keyword === 'ENV')?.args).toMatch(/NODE_ENV=production/);
  });

  it('has, for every app in apps/ and the migration job, a stage whose CMD runs its bundle with node as PID 1', () => {
    const appStages = stages.filter((s) => s.name?.startsWith('app-')).map((s) => s.name!.slice('app-'.length));
    expect(appStages.sort()).toEqual([...deployable].sort());
    for (const name of deployable) {
      const s = stage(`app-${name}`);
      expect(s.from).toBe('runtime');
      // Exec form: no shell in between, so SIGTERM reaches node; never npm start.
      expect(s.instructions).toEqual([{ keyword: 'CMD', args: `["node", "${bundlePath(name)}"]` }]);
    }
    expect(stages[stages.length - 1]).toEqual({ from: 'app-${APP}', instructions: [] });
  });

  it('keeps node_modules and local state out of the build context, but not what the build reads', async () => {
    const patterns = (await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const path of ['node_modules/pg/package.json', 'apps/cart/node_modules/x', 'dist/apps/cart/main.js', '.data/pg', '.git/HEAD', 'libs/db/src/generated/prisma/client.ts', '.env']) {
      expect(ignoredBy(patterns, path), path).toBe(true);
    }
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.base.json', 'scripts/build.ts', 'scripts/prisma-generate.mjs', 'scripts/deploy/package-app.ts', 'scripts/deploy/migrate-job.ts', 'prisma/migrations/x/migration.sql', 'prisma/schema/main.prisma', 'prisma.config.ts', 'apps/cart/src/main.ts', 'apps/email/src/function.ts', 'libs/db/src/index.ts']) {
      expect(ignoredBy(patterns, path), path).toBe(false);
    }
  });
});
