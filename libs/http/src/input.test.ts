import { Hono, type Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrors, parseParams, parseQuery, readJson, refuseNonJsonBody } from './input';
import { problemResponse } from './problem';

/** A bare Hono app whose one route runs `read` and answers what it returned, or the problem it threw. */
function appReading(path: string, read: (c: Context) => unknown) {
  const app = new Hono();
  app.all(path, async (c) => c.json({ value: await read(c) }));
  app.onError((err, c) => problemResponse(err, c.req.path));
  return app;
}

describe('readJson', () => {
  const schema = z.object({ n: z.number() });
  const app = appReading('/', (c) => readJson(c, schema));
  const post = (body?: string) => app.request('/', { method: 'POST', ...(body === undefined ? {} : { body }) });

  it('returns the parsed body', async () => {
    expect(await (await post('{"n": 1}')).json()).toEqual({ value: { n: 1 } });
  });

  it.each([
    ['nothing', undefined],
    ['an empty string', ''],
    ['whitespace', '  \n'],
  ])('answers 400 for %s', async (_label, body) => {
    expect((await post(body)).status).toBe(400);
  });

  it.each(['{', 'n=1', "{'n': 1}", '{"n": 1} trailing'])('answers 400 for the non-JSON %j', async (body) => {
    expect((await post(body)).status).toBe(400);
  });

  it.each(['null', '[]', '"n"', '{"n": "1"}', '{}'])('answers 422 for the JSON %j of the wrong shape', async (body) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
  });
});

describe('refuseNonJsonBody', () => {
  const app = appReading('/', async (c) => (await refuseNonJsonBody(c)) ?? 'ok');
  const post = (body?: string) => app.request('/', { method: 'POST', ...(body === undefined ? {} : { body }) });

  it.each([
    ['no body', undefined],
    ['an empty one', ''],
    ['any JSON', '{"note": "x"}'],
  ])('accepts %s', async (_label, body) => {
    expect((await post(body)).status).toBe(200);
  });

  it.each(['{', 'n=1', "{'n': 1}"])('answers 400 for the non-JSON %j', async (body) => {
    expect((await post(body)).status).toBe(400);
  });
});

describe('parseQuery', () => {
  it('coerces and validates; a problem is 422', async () => {
    const app = appReading('/', (c) => parseQuery(c, z.object({ n: z.coerce.number().int() })));
    expect(await (await app.request('/?n=7')).json()).toEqual({ value: { n: 7 } });
    expect((await app.request('/?n=x')).status).toBe(422);
  });
});

describe('parseParams', () => {
  it('answers 404 for a parameter that cannot name a resource, or 400 when asked', async () => {
    const app = appReading('/a/:id', (c) => parseParams(c, z.object({ id: z.uuid() })));
    expect((await app.request('/a/zzz')).status).toBe(404);
    const strict = appReading('/b/:id', (c) => parseParams(c, z.object({ id: z.uuid() }), 'bad_request'));
    expect((await strict.request('/b/zzz')).status).toBe(400);
  });
});

describe('fieldErrors', () => {
  it('joins paths with dots, prefixes them, and names the body itself', () => {
    const result = z.object({ items: z.array(z.object({ q: z.number() })) }).safeParse({ items: [{ q: 'x' }] });
    expect(fieldErrors(result.error!.issues, 'body')).toEqual([expect.objectContaining({ field: 'body.items.0.q', code: 'invalid_type' })]);
    expect(fieldErrors(z.string().safeParse(1).error!.issues)).toEqual([expect.objectContaining({ field: '(body)' })]);
  });

  it('lists each unknown member by name', () => {
    const result = z.strictObject({ a: z.object({ b: z.number() }).strict() }).safeParse({ a: { b: 1, c: 2 }, d: 3 });
    expect(fieldErrors(result.error!.issues).map((e) => e.field).sort()).toEqual(['a.c', 'd']);
  });
});
