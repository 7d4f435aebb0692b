#!/usr/bin/env node
// Bundles one Nx project with esbuild: an app's src/main.ts → dist/apps/<name>/main.js, a lib's src/index.ts →
// dist/libs/<name>/index.js. Our libs (tsconfig path aliases) and the generated Prisma client are bundled in;
// npm packages stay external, so the image installs only the production dependencies the bundle imports.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Builds the project at `root` (e.g. `apps/cart`); returns the output file. */
export async function buildProject(root: string, { outdir = join('dist', root), quiet = false } = {}) {
  const isApp = root.startsWith('apps/');
  const entry = join(root, 'src', isApp ? 'main.ts' : 'index.ts');
  if (!existsSync(entry)) throw new Error(`no entry point at ${entry}`);
  const outfile = join(outdir, isApp ? 'main.js' : 'index.js');
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    sourcemap: true,
    tsconfig: 'tsconfig.base.json',
    metafile: true,
    logLevel: quiet ? 'warning' : 'info',
  });
  return { outfile, metafile: result.metafile };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: node scripts/build.ts <apps/name|libs/name>');
    process.exit(2);
  }
  await buildProject(root.replace(/\/$/, ''));
}
