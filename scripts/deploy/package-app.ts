#!/usr/bin/env node
// Packages one deployable for its container image: the esbuild bundle (for an app with a Cloud Run function,
// apps/<app>/src/function.ts too) plus exactly the production dependencies the bundles import, at the root
// lockfile's versions, laid out as `npm ci` would install them.
//   node scripts/deploy/package-app.ts <app | migrate> <outdir>
// The Dockerfile runs this in its build stage and copies <outdir> alone into the runtime image; the test
// (package-app.test.ts) runs that same command and starts the result with plain `node`, so what ships is what
// is tested.
import type { Metafile } from 'esbuild';
import { builtinModules } from 'node:module';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Build from '../build';

/** The repository root (this file lives in scripts/deploy). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The migration job's image: SQL migrations plus the per-service database roles (see migrate-job.ts). */
export const MIGRATE = 'migrate';

/** Where the bundle lands inside the output, relative to it; the Dockerfile's CMD names the same path. */
export function bundlePath(app: string): string {
  return `dist/apps/${app}/main.js`;
}

/** An app's Cloud Run function entry point (functions-framework `cloudEvent(...)` registrations), if it has one. */
export function functionEntry(app: string): string {
  return `apps/${app}/src/function.ts`;
}

export function hasFunction(app: string): boolean {
  return app !== MIGRATE && existsSync(join(REPO_ROOT, functionEntry(app)));
}

/** Where that entry point's bundle lands inside the output, beside the service's (the Functions Framework's --source). */
export function functionBundlePath(app: string): string {
  return `dist/apps/${app}/function.js`;
}

/** The Functions Framework's command line inside the output: what Terraform's function services run with `node`. */
export const FUNCTIONS_FRAMEWORK_MAIN = 'node_modules/@google-cloud/functions-framework/build/src/main.js';

/** One entry of package-lock.json v3 `packages`. */
export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

export interface PackagedApp {
  app: string;
  outdir: string;
  /** The npm packages the bundle imports (statically or dynamically), with the lockfile's exact versions. */
  dependencies: Record<string, string>;
  /** Every `node_modules/...` path installed into the output. */
  installed: string[];
  /** Development packages the bundle loads only with `import()`, deliberately not installed. */
  omitted: string[];
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageNameOf(importPath: string): string {
  const parts = importPath.split('/');
  return importPath.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isBuiltin(importPath: string): boolean {
  return importPath.startsWith('node:') || builtinModules.includes(importPath) || builtinModules.includes(importPath.split('/')[0]!);
}

/** The npm packages a bundle leaves external: those it imports statically, and those only `import()` loads. */
export interface ExternalImports {
  static: string[];
  dynamic: string[];
}

/** The external npm packages of an esbuild metafile's outputs, each sorted; a package imported both ways is static. */
export function externalImports(metafile: Metafile): ExternalImports {
  const statics = new Set<string>();
  const dynamics = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external || isBuiltin(imported.path)) continue;
      (imported.kind === 'dynamic-import' ? dynamics : statics).add(packageNameOf(imported.path));
    }
  }
  return { static: [...statics].sort(), dynamic: [...dynamics].filter((name) => !statics.has(name)).sort() };
}

/** Every external npm package of a metafile, sorted. */
export function externalPackages(metafile: Metafile): string[] {
  const { static: statics, dynamic } = externalImports(metafile);
  return [...statics, ...dynamic].sort();
}

/**
 * Where npm's resolution finds `name` when required from the package installed at `from` ('' = the root):
 * the nearest `node_modules/<name>` walking up from `from`, as Node itself would look.
 */
export function resolveInLockfile(packages: Lockfile['packages'], from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    base = base.slice(0, base.lastIndexOf('node_modules/')).replace(/\/$/, '');
  }
}

/**
 * The install locations the production closure of `roots` occupies in the lockfile's tree. Keeping exactly
 * these locations (a subset of a valid tree where every resolution target is kept) is itself a valid tree.
 * Optional dependencies missing from the lockfile (another platform's binaries) are skipped.
 */
export function productionClosure(lock: Lockfile, roots: string[]): string[] {
  const seen = new Set<string>();
  const queue: string[] = [];
  const visit = (from: string, name: string, isOptional: boolean) => {
    const location = resolveInLockfile(lock.packages, from, name);
    if (!location) {
      if (isOptional) return;
      throw new Error(`${name} (needed by ${from || 'the bundle'}) is not in package-lock.json: run npm install`);
    }
    if (!seen.has(location)) {
      seen.add(location);
      queue.push(location);
    }
  };
  for (const name of roots) visit('', name, false);
  while (queue.length) {
    const location = queue.shift()!;
    let entry = lock.packages[location]!;
    if (entry.link && entry.resolved) entry = lock.packages[entry.resolved] ?? entry;
    for (const name of Object.keys(entry.dependencies ?? {})) visit(location, name, false);
    for (const name of Object.keys(entry.optionalDependencies ?? {})) visit(location, name, true);
    for (const name of Object.keys(entry.peerDependencies ?? {})) {
      // npm installs required peers; an optional peer is installed only when something else depends on it.
      if (!entry.peerDependenciesMeta?.[name]?.optional) visit(location, name, false);
    }
  }
  return [...seen].sort();
}

/**
 * The minimal package.json and lockfile for the bundle's dependencies, at the root lockfile's versions.
 * A package the bundle only loads with `import()` and that is a devDependency is left out on purpose (the
 * email service's development mail catcher, `smtp-server`): the code handles its absence. Anything else the
 * bundle imports must be a production dependency, or the image would crash when it loads.
 */
export function prunedManifests(options: {
  app: string;
  rootPackage: { version?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; engines?: unknown };
  lock: Lockfile;
  imports: ExternalImports;
}) {
  const { app, rootPackage, lock } = options;
  const declared = rootPackage.dependencies ?? {};
  const development = rootPackage.devDependencies ?? {};
  const omitted = options.imports.dynamic.filter((name) => !(name in declared) && name in development);
  const imports = [...options.imports.static, ...options.imports.dynamic].filter((name) => !omitted.includes(name)).sort();
  const undeclared = imports.filter((name) => !(name in declared));
  if (undeclared.length) {
    throw new Error(`${app}'s bundle imports ${undeclared.join(', ')}, which ${undeclared.length > 1 ? 'are' : 'is'} not in the root package.json "dependencies"`);
  }
  const dependencies = Object.fromEntries(
    imports.map((name) => {
      const version = lock.packages[`node_modules/${name}`]?.version;
      if (!version) throw new Error(`${name} is not installed at the top level of package-lock.json`);
      return [name, version];
    }),
  );
  const name = `shop-${app}`;
  const version = rootPackage.version ?? '0.0.0';
  const packageJson = { name, version, private: true, type: 'module', engines: rootPackage.engines, dependencies };
  const locations = productionClosure(lock, imports);
  const packages: Lockfile['packages'] = { '': { name, version, dependencies } };
  for (const location of locations) {
    const { dev: _dev, devOptional, peer: _peer, ...entry } = lock.packages[location]!;
    // Nothing in this tree is a devDependency any more; optional-in-production stays optional.
    packages[location] = devOptional ? { ...entry, optional: true } : entry;
  }
  const lockfile: Lockfile = { name, version, lockfileVersion: 3, requires: true, packages };
  return { packageJson, lockfile, locations, dependencies, omitted };
}

async function bundle(app: string, outdir: string): Promise<Metafile> {
  // scripts/build.ts is the one bundler configuration; it is TypeScript run by Node's type stripping.
  const { buildProject, bundleEntry } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts/build.ts')).href)) as typeof Build;
  const target = join(outdir, dirname(bundlePath(app)));
  if (app === MIGRATE) {
    const metafile = await bundleEntry(join(REPO_ROOT, 'scripts/deploy/migrate-job.ts'), join(target, 'main.js'), { quiet: true });
    // libs/db resolves MIGRATIONS_DIR three levels above the bundle: dist/apps/migrate → <outdir>/prisma/migrations.
    await cp(join(REPO_ROOT, 'prisma/migrations'), join(outdir, 'prisma/migrations'), { recursive: true });
    return metafile;
  }
  if (!existsSync(join(REPO_ROOT, 'apps', app, 'src/main.ts'))) throw new Error(`no app named ${app} (apps/${app}/src/main.ts)`);
  const { metafile } = await buildProject(`apps/${app}`, { outdir: target, quiet: true });
  if (!hasFunction(app)) return metafile;
  // The same image also runs the app's Cloud Run function (Terraform var.deploy_functions): the Functions
  // Framework loads this bundle, so its packages are installed beside the service's.
  const fn = await bundleEntry(join(REPO_ROOT, functionEntry(app)), join(outdir, functionBundlePath(app)), { quiet: true });
  return { inputs: { ...metafile.inputs, ...fn.inputs }, outputs: { ...metafile.outputs, ...fn.outputs } };
}

/** Copies the installed packages at `locations` from the repository's node_modules, without their nested node_modules. */
async function installFromRepository(locations: string[], lock: Lockfile, outdir: string): Promise<string[]> {
  const installed: string[] = [];
  for (const location of locations) {
    const source = join(REPO_ROOT, location);
    if (!existsSync(source)) {
      if (lock.packages[location]?.optional) continue; // another platform's optional binary
      throw new Error(`${location} is in package-lock.json but not installed: run npm ci`);
    }
    const nested = join(source, 'node_modules');
    // Nested packages are separate locations of their own, copied only when the closure needs them.
    await cp(source, join(outdir, location), { recursive: true, dereference: true, filter: (path) => path !== nested });
    installed.push(location);
  }
  return installed;
}

/**
 * Bundles `app` into `outdir` and installs its production dependencies there (`install: false` stops after
 * the manifests, for checks that need no runnable output).
 */
export async function packageApp(app: string, outdir: string, options: { install?: boolean } = {}): Promise<PackagedApp> {
  const out = resolve(outdir);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const metafile = await bundle(app, out);
  const rootPackage = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as Parameters<typeof prunedManifests>[0]['rootPackage'];
  const lock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const { packageJson, lockfile, locations, dependencies, omitted } = prunedManifests({ app, rootPackage, lock, imports: externalImports(metafile) });
  await writeFile(join(out, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  await writeFile(join(out, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`);
  const installed = options.install === false ? [] : await installFromRepository(locations, lock, out);
  return { app, outdir: out, dependencies, installed, omitted };
}

/** The deployables: every app in apps/ plus the migration job. */
export async function deployables(): Promise<string[]> {
  const entries = await readdir(join(REPO_ROOT, 'apps'), { withFileTypes: true });
  const apps = entries.filter((e) => e.isDirectory() && existsSync(join(REPO_ROOT, 'apps', e.name, 'src/main.ts'))).map((e) => e.name);
  return [...apps.sort(), MIGRATE];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [app, outdir] = process.argv.slice(2);
  if (!app || !outdir) {
    console.error('usage: node scripts/deploy/package-app.ts <app | migrate> <outdir>');
    process.exit(2);
  }
  const result = await packageApp(app, outdir);
  console.log(`${app}: ${bundlePath(app)} with ${Object.keys(result.dependencies).length} direct and ${result.installed.length} installed packages in ${result.outdir}`);
  for (const [name, version] of Object.entries(result.dependencies)) console.log(`  ${name}@${version}`);
  for (const name of result.omitted) console.log(`  (left out: ${name}, a devDependency the bundle only loads with import())`);
}
