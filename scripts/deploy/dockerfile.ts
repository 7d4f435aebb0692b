// Reads the Dockerfile as data, so that the packaging test can run exactly what the image build runs (the
// build stage's packaging command) and start the result exactly as the image does (the runtime stage's
// working directory, environment and user, and the app stage's CMD), without a Docker engine.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './package-app';

/** One `FROM … AS name` stage and the instructions under it, continuation lines joined. */
export interface Stage {
  from: string;
  name?: string;
  instructions: { keyword: string; args: string }[];
}

export interface Dockerfile {
  /** `ARG`s before the first `FROM`. */
  globalArgs: string[];
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const globalArgs: string[] = [];
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword!.toUpperCase() === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: match![1]!, ...(match![2] ? { name: match![2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (keyword!.toUpperCase() === 'ARG') globalArgs.push(args);
    } else {
      stages[stages.length - 1]!.instructions.push({ keyword: keyword!.toUpperCase(), args });
    }
  }
  return { globalArgs, stages };
}

export async function readDockerfile(): Promise<Dockerfile> {
  return parseDockerfile(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
}

export function stageOf(dockerfile: Dockerfile, name: string): Stage {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
}

function only(stage: Stage, keyword: string): string {
  const found = stage.instructions.filter((i) => i.keyword === keyword);
  if (found.length !== 1) throw new Error(`stage ${stage.name} has ${found.length} ${keyword} instructions, expected one`);
  return found[0]!.args;
}

/** `KEY=value KEY2=value2` (ENV's modern form; values without spaces or quotes, as this Dockerfile writes them). */
function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const pair of args.split(/\s+/)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`cannot read ENV ${args}: write it as KEY=value pairs`);
    pairs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return pairs;
}

/**
 * How the build stage packages an app: its working directory and the one RUN that calls
 * scripts/deploy/package-app.ts, with the output folder the runtime stage copies from.
 */
export function packagingStep(dockerfile: Dockerfile): { workdir: string; run: string; outdir: string } {
  const build = stageOf(dockerfile, 'build');
  const runs = build.instructions.filter((i) => i.keyword === 'RUN' && i.args.includes('scripts/deploy/package-app.ts'));
  if (runs.length !== 1) throw new Error(`the build stage runs scripts/deploy/package-app.ts ${runs.length} times, expected once`);
  const run = runs[0]!.args;
  const outdir = /package-app\.ts\s+"\$APP"\s+(\S+)/.exec(run)?.[1];
  if (!outdir) throw new Error(`cannot find the output folder in: ${run}`);
  return { workdir: only(build, 'WORKDIR'), run, outdir };
}

/**
 * The shell command the build stage runs for `app`, moved from the image's folders to local ones: the
 * repository instead of the build stage's WORKDIR, `outdir` instead of the image's output folder.
 */
export function packagingCommand(dockerfile: Dockerfile, local: { outdir: string }): string {
  const step = packagingStep(dockerfile);
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return step.run
    .replaceAll(`${step.workdir}/`, `${REPO_ROOT}/`)
    .replace(new RegExp(`(package-app\\.ts\\s+"\\$APP"\\s+)${step.outdir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=\\s|$)`), `$1${quote(local.outdir)}`);
}

/** How the image starts `app`: the runtime stage's WORKDIR, ENV and USER, and the app stage's exec-form CMD. */
export function runtimeOf(dockerfile: Dockerfile, app: string): { workdir: string; env: Record<string, string>; user: string; cmd: string[] } {
  const runtime = stageOf(dockerfile, 'runtime');
  const env = Object.assign({}, ...runtime.instructions.filter((i) => i.keyword === 'ENV').map((i) => envPairs(i.args))) as Record<string, string>;
  const cmd = JSON.parse(only(stageOf(dockerfile, `app-${app}`), 'CMD')) as unknown;
  if (!Array.isArray(cmd) || !cmd.every((part) => typeof part === 'string')) throw new Error(`the CMD of app-${app} is not in exec form`);
  return { workdir: only(runtime, 'WORKDIR'), env, user: only(runtime, 'USER'), cmd };
}
