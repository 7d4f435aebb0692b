#!/usr/bin/env node
// Bundles one Nx project with esbuild: an app's src/main.ts → dist/apps/<name>/main.js, a lib's src/index.ts →
// dist/libs/<name>/index.js. Our libs (tsconfig path aliases) and the generated Prisma client are bundled in;
// npm packages stay external, so the image installs only the production dependencies the bundle imports.
import { build, type Metafile } from 'esbuild';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '..');

/**
 * Bundles one entry file the way every deployable is bundled (ESM for Node 24, npm packages external, our libs
 * and the Prisma client inside, a source map beside it). The image build uses it too (scripts/deploy).
 */
export async function bundleEntry(entry: string, outfile: string, { quiet = false } = {}): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    sourcemap: true,
    // Stack traces need only the mappings. The sources themselves (our TypeScript and the generated Prisma
    // client, 1 MiB of the 1.2 MiB map) were parsed into every process's heap by --enable-source-maps.
    sourcesContent: false,
    tsconfig: join(REPO_ROOT, 'tsconfig.base.json'),
    metafile: true,
    logLevel: quiet ? 'warning' : 'info',
  });
  return result.metafile;
}

/** Builds the project at `root` (e.g. `apps/cart`, relative to the repository); returns the output file. */
export async function buildProject(root: string, { outdir = join(REPO_ROOT, 'dist', root), quiet = false } = {}) {
  const isApp = root.startsWith('apps/');
  const entry = join(REPO_ROOT, root, 'src', isApp ? 'main.ts' : 'index.ts');
  if (!existsSync(entry)) throw new Error(`no entry point at ${entry}`);
  const outfile = join(outdir, isApp ? 'main.js' : 'index.js');
  return { outfile, metafile: await bundleEntry(entry, outfile, { quiet }) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: node scripts/build.ts <apps/name|libs/name>');
    process.exit(2);
  }
  await buildProject(root.replace(/\/$/, ''));
}
