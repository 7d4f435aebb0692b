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

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** A POST with `body` (a string or raw bytes) and, unless told otherwise, a JSON Content-Type. */
function postTo(app: Hono, body?: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = JSON_TYPE) {
  return app.request('/', { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
}

async function problemOf(res: Response): Promise<{ status: number; errors?: { field: string; message: string }[] }> {
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  return (await res.json()) as { status: number; errors?: { field: string; message: string }[] };
}

/** `depth` arrays inside each other around `inner`, as JSON text. */
const nested = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

describe('readJson', () => {
  const schema = z.object({ n: z.number(), s: z.string().optional() });
  const app = appReading('/', (c) => readJson(c, schema));
  const post = (body?: string | Uint8Array<ArrayBuffer>, headers?: Record<string, string>) => postTo(app, body, headers);

  it('returns the parsed body', async () => {
    expect(await (await post('{"n": 1}')).json()).toEqual({ value: { n: 1 } });
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"',
    'application/merge-patch+json',
    'application/vnd.shop.order+json; charset=utf-8',
  ])('accepts the JSON media type %j', async (contentType) => {
    expect((await post('{"n": 1}', { 'Content-Type': contentType })).status).toBe(200);
  });

  it.each([
    'text/plain',
    'text/plain;charset=UTF-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    'application/json-seq',
    'text/json',
    'application/json; charset=iso-8859-1',
    '',
  ])('answers 415 for valid JSON sent as %j', async (contentType) => {
    const res = await post('{"n": 1}', { 'Content-Type': contentType });
    expect(res.status).toBe(415);
    expect(await problemOf(res)).toMatchObject({ status: 415 });
    expect(res.headers.get('Accept')).toBe('application/json');
  });

  it('answers 415 for a body sent without any Content-Type', async () => {
    expect((await post(new TextEncoder().encode('{"n": 1}'), {})).status).toBe(415);
  });

  it.each([
    ['nothing', undefined],
    ['an empty string', ''],
    ['whitespace', '  \n'],
  ])('answers 400 for %s, with or without a Content-Type', async (_label, body) => {
    expect((await post(body)).status).toBe(400);
    // Bytes: a string body would get a text/plain Content-Type from `Request` itself.
    expect((await post(body === undefined ? undefined : new TextEncoder().encode(body), {})).status).toBe(400);
  });

  it.each(['{', 'n=1', "{'n': 1}", '{"n": 1} trailing'])('answers 400 for the non-JSON %j', async (body) => {
    expect((await post(body)).status).toBe(400);
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-8-encoded surrogate (CESU-8)', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('answers 400 for a body that is not UTF-8: %s inside a string', async (_label, bytes) => {
    const body = new Uint8Array([...new TextEncoder().encode('{"n": 1, "s": "'), ...bytes, ...new TextEncoder().encode('"}')]);
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(await problemOf(res)).toMatchObject({ status: 400 });
  });

  it.each([
    ['U+0000 in a value', String.raw`{"n": 1, "s": "a\u0000b"}`, 's'],
    ['U+0000 in a member name', String.raw`{"n": 1, "a\u0000": 1}`, 'a\u0000'],
    ['a lone high surrogate', String.raw`{"n": 1, "s": "\ud800"}`, 's'],
    ['a lone low surrogate', String.raw`{"n": 1, "s": "x\udc00"}`, 's'],
    ['a reversed pair', String.raw`{"n": 1, "s": "\udc00\ud800"}`, 's'],
    ['U+0000 deep inside', String.raw`{"n": 1, "x": [{"y": ["\u0000"]}]}`, 'x.0.y.0'],
  ])('answers 422 naming the field for %s', async (_label, body, field) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    expect((await problemOf(res)).errors).toEqual([expect.objectContaining({ field })]);
  });

  it('accepts a well-formed surrogate pair (an emoji)', async () => {
    expect(await (await post(String.raw`{"n": 1, "s": "\ud83d\ude00"}`)).json()).toEqual({ value: { n: 1, s: '😀' } });
  });

  it.each([
    ['in a field', `{"n": 1, "s": ${nested(5_000)}}`],
    ['as the whole body', nested(5_000)],
    ['of objects', `{"n": ${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`],
  ])('answers 422 for 5,000 levels of nesting %s, without exhausting the stack', async (_label, body) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(await problemOf(res)).toMatchObject({ status: 422 });
  });

  it('refuses nesting beyond 32 levels even where the schema would take any value', async () => {
    const loose = appReading('/', (c) => readJson(c, z.object({ any: z.unknown() })));
    expect((await postTo(loose, `{"any": ${nested(31)}}`)).status).toBe(200);
    expect((await postTo(loose, `{"any": ${nested(32)}}`)).status).toBe(422);
  });

  it.each(['null', '[]', '"n"', '{"n": "1"}', '{}'])('answers 422 for the JSON %j of the wrong shape', async (body) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
  });
});

describe('refuseNonJsonBody', () => {
  const app = appReading('/', async (c) => (await refuseNonJsonBody(c)) ?? 'ok');
  const post = (body?: string, headers?: Record<string, string>) => postTo(app, body, headers);

  it.each([
    ['no body', undefined, {}],
    ['an empty one without a Content-Type', '', {}],
    ['an empty one with any Content-Type', '', { 'Content-Type': 'text/plain' }],
    ['whitespace', ' \n', JSON_TYPE],
    ['an empty object', '{}', JSON_TYPE],
    ['an empty object as +json', '{ }', { 'Content-Type': 'application/problem+json' }],
  ])('accepts %s', async (_label, body, headers) => {
    expect((await post(body, headers)).status).toBe(200);
  });

  it.each(['{', 'n=1', "{'n': 1}"])('answers 400 for the non-JSON %j', async (body) => {
    expect((await post(body)).status).toBe(400);
  });

  it('answers 415 for a body that is not declared JSON', async () => {
    expect((await post('{}', { 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it.each(['{"note": "x"}', 'null', '[]', '1', String.raw`{"\u0000": 1}`, nested(5_000)])('answers 422 for the JSON %j: the route takes none', async (body) => {
    expect((await post(body)).status).toBe(422);
  });
});

describe('parseQuery', () => {
  const app = appReading('/', (c) => parseQuery(c, z.object({ n: z.coerce.number().int().optional(), q: z.string().optional() })));

  it('coerces and validates; a problem is 422', async () => {
    expect(await (await app.request('/?n=7')).json()).toEqual({ value: { n: 7 } });
    expect((await app.request('/?n=x')).status).toBe(422);
  });

  it.each(['q=%00', 'q=a%00b', '%00=1', 'q=%ED%A0%80', 'q=%C0%AF', 'q=%'])('never lets %j through as unstorable text', async (query) => {
    const res = await app.request(`/?${query}`);
    expect([200, 422]).toContain(res.status);
    if (res.status === 200) expect(JSON.stringify(await res.json())).not.toMatch(/\\u0000|\\ud[89ab]/i);
  });

  it('answers 422 for U+0000 in a value or a name', async () => {
    expect((await app.request('/?q=%00')).status).toBe(422);
    expect((await app.request('/?%00=1')).status).toBe(422);
  });
});

describe('parseParams', () => {
  it('answers 404 for a parameter that cannot name a resource, or 400 when asked', async () => {
    const app = appReading('/a/:id', (c) => parseParams(c, z.object({ id: z.uuid() })));
    expect((await app.request('/a/zzz')).status).toBe(404);
    const strict = appReading('/b/:id', (c) => parseParams(c, z.object({ id: z.uuid() }), 'bad_request'));
    expect((await strict.request('/b/zzz')).status).toBe(400);
  });

  it.each(['a%00b', '%00', '%ED%A0%80', '%C0%AF', '%FF'])('answers 404, never a 500, for the segment %j', async (segment) => {
    const app = appReading('/a/:id', (c) => parseParams(c, z.object({ id: z.string() })));
    const res = await app.request(`/a/${segment}`);
    if (segment.includes('%00')) expect(res.status).toBe(404);
    else expect(await res.json()).toEqual({ value: { id: segment } });
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
