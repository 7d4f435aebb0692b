#!/usr/bin/env node
// Bundles one Nx project with esbuild: an app's src/main.ts → dist/apps/<name>/main.js, a lib's src/index.ts →
// dist/libs/<name>/index.js. Our libs (tsconfig path aliases) and the generated Prisma client are bundled in;
// npm packages stay external, so the image installs only the production dependencies the bundle imports.
import { build, type Metafile, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '..');

/** How Prisma's generated client (7.x) loads its query compiler, as text of base64 from an ES module. */
const PRISMA_COMPILER_IMPORT = /const \{ wasm \} = await import\("(@prisma\/client\/runtime\/query_compiler_[\w-]+\.\w+)\.wasm-base64\.mjs"\)/;

/**
 * The generated client's query compiler, read once and let go. It comes as base64 text in an ES module, and
 * V8 keeps an ES module for the life of the process: its source and the string it exports, 2.2 MiB each, stayed
 * in every service's heap after the compiler was built from them. The package's CommonJS copy of the same text
 * is required instead and dropped from require's cache at once, so both are collected. A client generated some
 * other way fails the build here rather than silently keeping the text.
 */
const prismaCompilerReadOnce: Plugin = {
  name: 'prisma-compiler-read-once',
  setup(build) {
    build.onLoad({ filter: /[\\/]generated[\\/]prisma[\\/]internal[\\/]class\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const found = PRISMA_COMPILER_IMPORT.exec(source);
      if (!found) throw new Error(`${args.path} no longer loads the query compiler as prismaCompilerReadOnce (scripts/build.ts) expects`);
      const contents =
        source.replace(PRISMA_COMPILER_IMPORT, `const { wasm } = await requireOnce(${JSON.stringify(`${found[1]}.wasm-base64.js`)})`) +
        `
async function requireOnce(id: string): Promise<{ wasm: string }> {
  const { createRequire } = await import('node:module')
  const require = createRequire(import.meta.url)
  const path = require.resolve(id)
  try {
    return require(path) as { wasm: string }
  } finally {
    delete require.cache[path]
  }
}
`;
      return { contents, loader: 'ts' };
    });
  },
};

/** Where `bundleEntry` puts the bundle itself, beside the launcher at `outfile`. */
export function bundleFileOf(outfile: string): string {
  return outfile.replace(/\.js$/, '.bundle.js');
}

/**
 * What runs first: source maps on for our bundle only, then the bundle. `--enable-source-maps` also reads the
 * map of every package in node_modules that ships one (pg-boss, zod, luxon, OpenTelemetry…, most with their
 * sources inside), about 6 MiB of every service's heap, for frames a stack trace rarely shows; and switched on
 * from inside the bundle it would come too late for the bundle itself, which is compiled before it runs.
 */
function launcherOf(bundleFile: string): string {
  return [
    "import { setSourceMapsSupport } from 'node:module';",
    '',
    '// Our bundle only: node_modules are left out (see bundleEntry in scripts/build.ts).',
    'setSourceMapsSupport(true);',
    `await import(${JSON.stringify(`./${basename(bundleFile)}`)});`,
    '',
  ].join('\n');
}

/**
 * Bundles one entry file the way every deployable is bundled (ESM for Node 24, npm packages external, our libs
 * and the Prisma client inside, a source map beside it). The image build uses it too (scripts/deploy).
 * `outfile` is a small launcher that turns source maps on for the bundle (`bundleFileOf(outfile)`) and
 * imports it: start it with plain `node`, no `--enable-source-maps`.
 */
export async function bundleEntry(entry: string, outfile: string, { quiet = false } = {}): Promise<Metafile> {
  const bundleFile = bundleFileOf(outfile);
  const result = await build({
    entryPoints: [entry],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    sourcemap: true,
    // Stack traces need only the mappings. The sources themselves (our TypeScript and the generated Prisma
    // client, 1 MiB of the 1.2 MiB map) were parsed into every process's heap along with them.
    sourcesContent: false,
    tsconfig: join(REPO_ROOT, 'tsconfig.base.json'),
    metafile: true,
    logLevel: quiet ? 'warning' : 'info',
    plugins: [prismaCompilerReadOnce],
  });
  await writeFile(outfile, launcherOf(bundleFile));
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
