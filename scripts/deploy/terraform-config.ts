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
      for (const { value: ref } of await getReferencesInExpression('check.tf', templateSource(value))) {
        const parts = ref.split('.').map((p) => p.replace(/^"|"$/g, ''));
        const [root, first, second] = parts;
        const at = `${where} (${path}): ${ref}`;
        // The iterator of a dynamic block is named after the block, inside its content.
        if (!root || META.has(root) || path.includes(`dynamic.${root}[`)) continue;
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

/**
 * A template as hcl2json renders it, back to the text between its quotes: hcl2json unescapes the literal parts
 * (`\"` becomes `"`, as in a Cloud Monitoring filter), which would end the string when it is parsed again.
 * Re-escapes `"`, `\` and newlines outside `${…}` / `%{…}`, leaving the expressions inside them as they are.
 */
function templateSource(value: string): string {
  let out = '';
  // Open contexts inside the template: an interpolation or brace in code, or a string inside code.
  const stack: ('code' | 'brace' | 'string')[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const top = stack[stack.length - 1];
    const opensInterpolation = (c === '$' || c === '%') && value[i + 1] === '{';
    if (top === undefined || top === 'string') {
      if (opensInterpolation) {
        stack.push('code');
        out += `${c}{`;
        i++;
      } else if (top === 'string') {
        out += c;
        if (c === '\\') out += value[++i] ?? '';
        else if (c === '"') stack.pop();
      } else out += c === '"' || c === '\\' ? `\\${c}` : c === '\n' ? '\\n' : c;
      continue;
    }
    out += c;
    if (c === '"') stack.push('string');
    else if (c === '{') stack.push('brace');
    else if (c === '}') stack.pop();
  }
  return out;
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

/** Values a reference can be resolved against: `{ var: {...}, local: {...}, each: {...}, google_x: {...} }`. */
export type Scope = Record<string, unknown>;

/**
 * Resolves one traversal (`var.subscription.topic`, `google_pubsub_topic.event[each.value.topic].id`,
 * `local.push_audience["cart"]`) in `scope`. Only attribute access and index by a literal or by another
 * traversal: anything else (calls, operators, `for`) throws, naming the expression, so that a test that
 * renders Terraform never guesses a value it cannot compute.
 */
export function resolveTraversal(expr: string, scope: Scope): unknown {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`cannot evaluate ${expr}: ${why}`);
  };
  const identifier = () => {
    const match = /^[A-Za-z_][\w-]*/.exec(expr.slice(at));
    if (!match) fail(`expected a name at ${at}`);
    at += match![0].length;
    return match![0];
  };
  const step = (value: unknown, key: string | number): unknown => {
    if (value === null || typeof value !== 'object' || !(key in value)) fail(`no ${JSON.stringify(key)} in ${JSON.stringify(value)?.slice(0, 200)}`);
    return (value as Record<string | number, unknown>)[key];
  };
  const traversal = (): unknown => {
    let value = step(scope, identifier());
    while (at < expr.length && expr[at] !== ']') {
      if (expr[at] === '.') {
        at++;
        value = step(value, identifier());
      } else if (expr[at] === '[') {
        at++;
        let key: unknown;
        const literal = /^"([^"\\]*)"|^(\d+)/.exec(expr.slice(at));
        if (literal) {
          key = literal[1] ?? Number(literal[2]);
          at += literal[0].length;
        } else key = traversal();
        if (expr[at] !== ']') fail(`expected ] at ${at}`);
        at++;
        if (typeof key !== 'string' && typeof key !== 'number') fail(`index ${String(key)} is not a string or number`);
        value = step(value, key as string | number);
      } else fail(`unexpected ${JSON.stringify(expr[at])} at ${at}`);
    }
    return value;
  };
  const value = traversal();
  if (at !== expr.length) fail(`unexpected ${JSON.stringify(expr.slice(at))}`);
  return value;
}

/**
 * Evaluates a body as hcl2json renders it: a string that is one `${…}` is that reference's value (of any
 * type), a template with text around its `${…}` parts is a string; lists and objects are evaluated
 * member by member. `${` never nests inside a reference here, which is what this Terraform writes.
 */
export function evaluate(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    const whole = expression(value);
    if (whole !== undefined && !whole.includes('${')) return resolveTraversal(whole.trim(), scope);
    return value.replace(/\$\{([^}]*)\}/g, (_, ref: string) => {
      const resolved = resolveTraversal(ref.trim(), scope);
      if (resolved === null || typeof resolved === 'object') throw new Error(`cannot interpolate ${ref} (${JSON.stringify(resolved)}) into ${value}`);
      return String(resolved);
    });
  }
  if (Array.isArray(value)) return value.map((item) => evaluate(item, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluate(item, scope)]));
  return value;
}

/** An expression's text with its whitespace collapsed, for comparing multi-line expressions. */
export function normalized(value: unknown): string {
  return String(value).replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/,? \)/g, ')').trim();
}

/**
 * The container arguments a Cloud Run function service runs with: `local.function_args[app]` of
 * functions.tf, computed from its one `for` expression (`for app, f in local.functions : app => [ … ]`) and
 * the literal `local.functions` map. Throws when the expression has another shape.
 */
export function functionArgs(root: TerraformModule, app: string): string[] {
  const text = normalized(root.locals['function_args']);
  const match = /^\$\{\{ for app, f in local\.functions : app => \[ (.*?),? \] \}\}$/.exec(text);
  if (!match) throw new Error(`local.function_args is not the one for expression this check reads: ${text}`);
  const functions = root.locals['functions'] as Record<string, Record<string, unknown>>;
  const f = functions[app];
  if (!f) throw new Error(`local.functions has no entry for ${app}`);
  return match[1]!.split(/\s*,\s*/).map((item) => {
    const literal = /^"(.*)"$/.exec(item)?.[1];
    if (literal === undefined) throw new Error(`function argument ${item} is not a string template`);
    return evaluate(literal, { f, app }) as string;
  });
}
