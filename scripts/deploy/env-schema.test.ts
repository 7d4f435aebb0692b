import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import { envKeysOf } from './env-schema';

const sorted = (keys: Set<string>) => [...keys].sort();

describe('envKeysOf', () => {
  it('requires what has no default and is not optional, through transforms, refinements and intersections', () => {
    const schema = z
      .object({ A: z.string(), B: z.string().optional(), C: z.coerce.number().default(1), D: z.string().catch('d') })
      .superRefine(() => undefined)
      .transform((env) => env)
      .and(z.object({ E: z.url(), F: z.stringbool().prefault('true') }));
    const keys = envKeysOf(schema);
    expect(sorted(keys.all)).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    expect(sorted(keys.required)).toEqual(['A', 'E']);
  });

  it('requires of a union only what every alternative requires', () => {
    const keys = envKeysOf(z.union([z.object({ A: z.string(), B: z.string() }), z.object({ A: z.string() })]));
    expect(sorted(keys.all)).toEqual(['A', 'B']);
    expect(sorted(keys.required)).toEqual(['A']);
  });

  it('reads the services\' schema: only DATABASE_URL has neither default nor optional', () => {
    const keys = envKeysOf(serviceEnvSchema(3000).and(eventsEnvSchema));
    expect(sorted(keys.required)).toEqual(['DATABASE_URL']);
    expect(keys.all).toContain('PUBSUB_PUSH_AUDIENCE');
    expect(keys.all).toContain('ADMIN_API_TOKEN');
  });

  it('says so when it meets a schema it cannot read variables out of', () => {
    expect(() => envKeysOf(z.string())).toThrow(/cannot read environment variables out of a zod string schema/);
  });
});
