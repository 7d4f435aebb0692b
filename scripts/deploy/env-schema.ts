import type { z } from 'zod';

/** The environment variables a config schema reads, and those it requires (no default, not optional). */
export interface EnvKeys {
  all: Set<string>;
  required: Set<string>;
}

interface ZodInternals {
  _zod: { def: { type: string; [key: string]: unknown }; optin?: string };
}

function internals(schema: unknown): ZodInternals['_zod'] {
  const zod = (schema as Partial<ZodInternals> | undefined)?._zod;
  if (!zod?.def) throw new Error('not a zod 4 schema');
  return zod;
}

/**
 * Walks a service's config schema down to the objects that declare its variables: through transforms and
 * pipes (`serviceEnvSchema` ends in `.transform`, whose input side is what the environment must provide),
 * intersections (`.and`), unions and whole-object wrappers. `superRefine` adds checks to an object and no
 * wrapper, so conditional requirements (tokens in production) are not "required" here: the parse check in
 * terraform.test.ts covers those.
 */
export function envKeysOf(schema: z.ZodType): EnvKeys {
  const zod = internals(schema);
  const def = zod.def;
  switch (def.type) {
    case 'object': {
      const shape = def['shape'] as Record<string, unknown>;
      const all = new Set(Object.keys(shape));
      // `optin` is zod's own note that a field may be absent on input ('optional' for optional and catch,
      // 'defaulted' for default and prefault); a field without it must be provided.
      const required = new Set(Object.keys(shape).filter((key) => internals(shape[key]).optin === undefined));
      return { all, required };
    }
    case 'pipe':
      return envKeysOf(def['in'] as z.ZodType);
    case 'intersection': {
      const left = envKeysOf(def['left'] as z.ZodType);
      const right = envKeysOf(def['right'] as z.ZodType);
      return { all: new Set([...left.all, ...right.all]), required: new Set([...left.required, ...right.required]) };
    }
    case 'union': {
      const options = (def['options'] as z.ZodType[]).map(envKeysOf);
      const all = new Set(options.flatMap((o) => [...o.all]));
      // Required only if every alternative requires it.
      const required = new Set([...all].filter((key) => options.every((o) => o.required.has(key))));
      return { all, required };
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return envKeysOf(def['innerType'] as z.ZodType);
    case 'lazy':
      return envKeysOf((def['getter'] as () => z.ZodType)());
    default:
      throw new Error(`cannot read environment variables out of a zod ${def.type} schema`);
  }
}
