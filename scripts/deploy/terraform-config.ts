// Reads the Terraform configuration as data for the deployment checks: `@cdktf/hcl2json` parses each .tf
// file exactly as Terraform's HCL parser does (it is that parser, compiled to WebAssembly), and this module
// indexes what each directory declares, so tests can compare it with the code and find dangling references
// without the terraform binary (which cannot be installed here; terraform.yml runs fmt and validate in CI).
import { getReferencesInExpression, parse } from '@cdktf/hcl2json';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './package-app';

export const TERRAFORM_DIR = join(REPO_ROOT, 'terraform');

/** A block body as hcl2json renders it: literals stay literals, every expression is a "${…}" string. */
export type Body = Record<string, unknown>;

/** What one Terraform module directory declares, by address. */
export interface TerraformModule {
  dir: string;
  files: string[];
  terraform: Body[];
  providers: Record<string, Body>;
  variables: Record<string, Body>;
  locals: Record<string, unknown>;
  outputs: Record<string, Body>;
  /** `type.name` → body. */
  resources: Record<string, Body>;
  /** `type.name` → body. */
  data: Record<string, Body>;
  modules: Record<string, Body>;
}

/** Every .tf file under `dir`, sorted, skipping `.terraform` (downloaded providers and modules). */
export async function terraformFiles(dir = TERRAFORM_DIR): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name === '.terraform') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.tf')) found.push(path);
    }
  };
  await walk(dir);
  return found.sort();
}

/** Parses one file; rejects with the parser's diagnostics (file, line, column) when it is not valid HCL. */
export async function parseTerraformFile(path: string): Promise<Record<string, unknown>> {
  return parse(relative(REPO_ROOT, path), await readFile(path, 'utf8'));
}

function single(blocks: unknown, what: string): Body {
  if (!Array.isArray(blocks) || blocks.length !== 1) throw new Error(`${what} is declared ${Array.isArray(blocks) ? blocks.length : 0} times`);
  return blocks[0] as Body;
}

/** Loads and indexes the .tf files directly in `dir` (one Terraform module). */
export async function loadTerraformModule(dir: string): Promise<TerraformModule> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.tf')).sort().map((f) => join(dir, f));
  const module: TerraformModule = { dir, files, terraform: [], providers: {}, variables: {}, locals: {}, outputs: {}, resources: {}, data: {}, modules: {} };
  for (const file of files) {
    const json = (await parseTerraformFile(file)) as Record<string, unknown>;
    for (const [kind, value] of Object.entries(json)) {
      switch (kind) {
        case 'terraform':
          module.terraform.push(...(value as Body[]));
          break;
        case 'provider':
          for (const [name, blocks] of Object.entries(value as Record<string, Body[]>)) module.providers[name] = single(blocks, `provider ${name}`);
          break;
        case 'variable':
        case 'output':
        case 'module': {
          const target = kind === 'variable' ? module.variables : kind === 'output' ? module.outputs : module.modules;
          for (const [name, blocks] of Object.entries(value as Record<string, Body[]>)) {
            if (target[name]) throw new Error(`${kind} ${name} is declared twice in ${dir}`);
            target[name] = single(blocks, `${kind} ${name}`);
          }
          break;
        }
        case 'locals':
          for (const block of value as Body[]) {
            for (const [name, local] of Object.entries(block)) {
              if (name in module.locals) throw new Error(`local.${name} is declared twice in ${dir}`);
              module.locals[name] = local;
            }
          }
          break;
        case 'resource':
        case 'data': {
          const target = kind === 'resource' ? module.resources : module.data;
          for (const [type, byName] of Object.entries(value as Record<string, Record<string, Body[]>>)) {
            for (const [name, blocks] of Object.entries(byName)) {
              const address = `${type}.${name}`;
              if (target[address]) throw new Error(`${kind} ${address} is declared twice in ${dir}`);
              target[address] = single(blocks, `${kind} ${address}`);
            }
          }
          break;
        }
        default:
          throw new Error(`unexpected top-level ${kind} in ${file}`);
      }
    }
  }
  return module;
}

/** The directory a module block's `source` points at (local sources only). */
export function moduleSourceDir(from: TerraformModule, body: Body): string {
  const source = body['source'];
  if (typeof source !== 'string' || !source.startsWith('./')) throw new Error(`module source ${String(source)} is not a local path`);
  return resolve(from.dir, source);
}

/** Every string inside a body (recursively), with the path it was found at. */
export function* strings(value: unknown, path = ''): Generator<{ path: string; value: string }> {
  if (typeof value === 'string') yield { path, value };
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) yield* strings(item, path ? `${path}.${key}` : key);
}

const META = new Set(['each', 'count', 'path', 'self', 'terraform']);

/**
 * References that name nothing declared: `var.x` without `variable "x"`, `local.x`, `module.x` (and
 * `module.x.y` without output `y` in the module), `data.t.n`, or a resource `t.n`. What `terraform validate`
 * would call "Reference to undeclared …". Iterator names of `for` and `dynamic` are not checked.
 */
export async function danglingReferences(module: TerraformModule): Promise<string[]> {
  const problems: string[] = [];
  const moduleOutputs = new Map<string, Set<string>>();
  for (const [name, body] of Object.entries(module.modules)) {
    const dir = moduleSourceDir(module, body);
    moduleOutputs.set(name, new Set(existsSync(dir) ? Object.keys((await loadTerraformModule(dir)).outputs) : []));
  }
  const blocks: [string, unknown][] = [
    ...Object.entries(module.resources).map(([a, b]): [string, unknown] => [`resource ${a}`, b]),
    ...Object.entries(module.data).map(([a, b]): [string, unknown] => [`data ${a}`, b]),
    ...Object.entries(module.modules).map(([a, b]): [string, unknown] => [`module ${a}`, b]),
    ...Object.entries(module.outputs).map(([a, b]): [string, unknown] => [`output ${a}`, b]),
    ...Object.entries(module.variables).map(([a, b]): [string, unknown] => [`variable ${a}`, b]),
    ...Object.entries(module.locals).map(([a, b]): [string, unknown] => [`local.${a}`, b]),
    ...Object.entries(module.providers).map(([a, b]): [string, unknown] => [`provider ${a}`, b]),
  ];
  for (const [where, body] of blocks) {
    for (const { path, value } of strings(body)) {
      // ignore_changes lists attribute paths of the resource itself, not references.
      if (!value.includes('${') || path.startsWith('lifecycle')) continue;
      for (const { value: ref } of await getReferencesInExpression('check.tf', value)) {
        const parts = ref.split('.').map((p) => p.replace(/^"|"$/g, ''));
        const [root, first, second] = parts;
        const at = `${where} (${path}): ${ref}`;
        if (!root || META.has(root)) continue;
        if (root === 'var') {
          if (!first || !(first in module.variables)) problems.push(`undeclared variable in ${at}`);
        } else if (root === 'local') {
          if (!first || !(first in module.locals)) problems.push(`undeclared local in ${at}`);
        } else if (root === 'module') {
          if (!first || !moduleOutputs.has(first)) problems.push(`undeclared module in ${at}`);
          // module.x["key"].output: skip the instance key, when there is one.
          else {
            const output = parts[2] !== undefined && module.modules[first]?.['for_each'] !== undefined ? parts[3] : second;
            if (output !== undefined && !moduleOutputs.get(first)!.has(output)) problems.push(`module ${first} has no output ${output}: ${at}`);
          }
        } else if (root === 'data') {
          if (!first || !second || !(`${first}.${second}` in module.data)) problems.push(`undeclared data source in ${at}`);
        } else if (root.includes('_')) {
          // Resource types are <provider>_<kind>; dynamic-block and for iterators have no prefix.
          if (!first || !(`${root}.${first}` in module.resources)) problems.push(`undeclared resource in ${at}`);
        }
      }
    }
  }
  return problems;
}

/** Module calls whose arguments the module does not declare, or that omit a variable without default. */
export async function moduleArgumentProblems(module: TerraformModule): Promise<string[]> {
  const metaArguments = new Set(['source', 'version', 'for_each', 'count', 'depends_on', 'providers']);
  const problems: string[] = [];
  for (const [name, body] of Object.entries(module.modules)) {
    const target = await loadTerraformModule(moduleSourceDir(module, body));
    for (const argument of Object.keys(body)) {
      if (!metaArguments.has(argument) && !(argument in target.variables)) problems.push(`module ${name}: ${argument} is not a variable of ${body['source']}`);
    }
    for (const [variable, declaration] of Object.entries(target.variables)) {
      if (!('default' in declaration) && !(variable in body)) problems.push(`module ${name}: required variable ${variable} is not set`);
    }
  }
  return problems;
}

/** Strips the "${…}" of a whole-expression string: "${var.x}" → "var.x". */
export function expression(value: unknown): string | undefined {
  return typeof value === 'string' && /^\$\{[^]*\}$/.test(value) ? value.slice(2, -1) : undefined;
}
