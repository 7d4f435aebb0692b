import { describe, expect, it } from 'vitest';
import type { IdempotencyStoreLike } from './idempotency';
import {
  admin,
  asCustomer,
  createTestApp,
  CUSTOMER_A,
  CUSTOMER_B,
  deferred,
  jsonRequest,
  MemoryIdempotencyStore,
} from './test-support';

const withKey = (key: string, headers: Record<string, string> = admin) => ({ ...headers, 'Idempotency-Key': key });

describe('idempotent', () => {
  it('runs the request once and replays the first answer, status, body and Location included', async () => {
    const { app, created } = createTestApp();
    const first = await app.request('/things', jsonRequest('POST', { name: 'a' }, withKey('k-1')));
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const again = await app.request('/things', jsonRequest('POST', { name: 'a' }, withKey('k-1')));
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get('Location')).toBe(first.headers.get('Location'));
    expect(again.headers.get('Content-Type')).toBe(first.headers.get('Content-Type'));
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    // The replay is a response of this request: its own request id, not the stored one's.
    expect(again.headers.get('X-Request-Id')).toBeTruthy();
    expect(again.headers.get('X-Request-Id')).not.toBe(first.headers.get('X-Request-Id'));
    // Only the headers that describe the resource are replayed.
    expect(again.headers.get('X-Not-Replayed')).toBeNull();
    expect(created()).toBe(1);
  });

  it('leaves the body bytes to the reader: invalid UTF-8 behind a key is still 400, and runs nothing', async () => {
    const { app, created } = createTestApp();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"name": "a'), 0xff, ...new TextEncoder().encode('"}')]);
    const res = await app.request('/things', { method: 'POST', headers: { ...withKey('k-utf8'), 'Content-Type': 'application/json' }, body: bytes });
    expect(res.status).toBe(400);
    expect(created()).toBe(0);
  });

  it('answers 422 for the same key with another body, and runs nothing', async () => {
    const { app, created } = createTestApp();
    await app.request('/things', jsonRequest('POST', { name: 'a' }, withKey('k-2')));
    const res = await app.request('/things', jsonRequest('POST', { name: 'b' }, withKey('k-2')));
    expect(res.status).toBe(422);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    expect(created()).toBe(1);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    const http = createTestApp();
    const gate = deferred();
    http.gate.current = gate.promise;
    const first = http.app.request('/things', jsonRequest('POST', { name: 'slow' }, withKey('k-3')));
    await new Promise((r) => setTimeout(r, 10));
    const second = await http.app.request('/things', jsonRequest('POST', { name: 'slow' }, withKey('k-3')));
    expect(second.status).toBe(409);
    expect(second.headers.get('Content-Type')).toBe('application/problem+json');
    expect(second.headers.get('Retry-After')).toBe('1');
    expect(((await second.json()) as { detail: string }).detail).toMatch(/still being processed/);
    gate.resolve();
    http.gate.current = undefined;
    expect((await first).status).toBe(201);
    expect((await http.app.request('/things', jsonRequest('POST', { name: 'slow' }, withKey('k-3')))).status).toBe(201);
    expect(http.created()).toBe(1);
  });

  it('does not store a 5xx: a retry with the key runs the request again', async () => {
    const http = createTestApp();
    http.failNext.count = 1;
    const failed = await http.app.request('/things', jsonRequest('POST', { name: 'retry' }, withKey('k-4')));
    expect(failed.status).toBe(500);
    const retried = await http.app.request('/things', jsonRequest('POST', { name: 'retry' }, withKey('k-4')));
    expect(retried.status).toBe(201);
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    expect(http.created()).toBe(2);
  });

  it('does not store a refused request: a 4xx leaves no key behind', async () => {
    const http = createTestApp();
    const store = http.store as MemoryIdempotencyStore;
    await http.app.request('/things', jsonRequest('POST', { name: 'taken' }, admin));
    expect(store.entries.size).toBe(0);
    const conflict = await http.app.request('/things', jsonRequest('POST', { name: 'taken' }, withKey('k-5')));
    expect(conflict.status).toBe(409);
    const invalid = await http.app.request('/things', jsonRequest('POST', { name: '' }, withKey('k-6')));
    expect(invalid.status).toBe(422);
    expect(store.entries.size).toBe(0);
    // The client may fix the body and retry with the same key.
    expect((await http.app.request('/things', jsonRequest('POST', { name: 'fixed' }, withKey('k-6')))).status).toBe(201);
  });

  it('scopes keys to the caller: another customer with the same key gets its own answer', async () => {
    const { app, created } = createTestApp();
    const a = await app.request('/notes', jsonRequest('POST', { text: 'hi' }, withKey('shared', asCustomer(CUSTOMER_A))));
    const b = await app.request('/notes', jsonRequest('POST', { text: 'hi' }, withKey('shared', asCustomer(CUSTOMER_B))));
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const [bodyA, bodyB] = (await Promise.all([a.json(), b.json()])) as { note_id: string; principal: { customerId: string } }[];
    expect(bodyB!.note_id).not.toBe(bodyA!.note_id);
    expect(bodyB!.principal.customerId).toBe(CUSTOMER_B);
    expect(created()).toBe(2);
  });

  it('scopes keys to the route: the same key on another path is another request', async () => {
    const { app, created } = createTestApp();
    await app.request('/notes', jsonRequest('POST', { text: 'x' }, withKey('k-7', asCustomer(CUSTOMER_A))));
    const res = await app.request('/things', jsonRequest('POST', { name: 'x' }, withKey('k-7')));
    expect(res.status).toBe(201);
    expect(created()).toBe(2);
  });

  it('runs every request without a key', async () => {
    const { app, created } = createTestApp();
    await app.request('/things', jsonRequest('POST', { name: 'n1' }, admin));
    await app.request('/things', jsonRequest('POST', { name: 'n2' }, admin));
    expect(created()).toBe(2);
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['with a space', 'two words'],
  ])('answers 400 for a key that is %s', async (_label, key) => {
    const { app, created } = createTestApp();
    const res = await app.request('/things', jsonRequest('POST', { name: 'a' }, withKey(key)));
    expect(res.status).toBe(400);
    expect(created()).toBe(0);
  });

  it('checks identity before the key: an anonymous replay attempt is 401', async () => {
    const { app } = createTestApp();
    await app.request('/things', jsonRequest('POST', { name: 'a' }, withKey('k-8')));
    const res = await app.request('/things', jsonRequest('POST', { name: 'a' }, { 'Idempotency-Key': 'k-8' }));
    expect(res.status).toBe(401);
  });

  it('answers 500 when the answer cannot be stored: the store undid the work with it, so a retry runs it', async () => {
    const memory = new MemoryIdempotencyStore();
    let failing = true;
    const store: IdempotencyStoreLike = {
      async runOnce(scope, key, hash, work) {
        if (!failing) return memory.runOnce(scope, key, hash, work);
        await work();
        throw new Error('database gone while storing the answer');
      },
    };
    const { app, created } = createTestApp({ store });
    const res = await app.request('/things', jsonRequest('POST', { name: 'a' }, withKey('k-9')));
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('database gone');
    failing = false;
    const retried = await app.request('/things', jsonRequest('POST', { name: 'b' }, withKey('k-9')));
    expect(retried.status).toBe(201);
    expect(created()).toBe(2);
  });
});
