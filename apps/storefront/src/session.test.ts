import { describe, expect, it } from 'vitest';
import { createSession, verifySession } from './session';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const JOHN = { customerId: '550e8400-e29b-41d4-a716-446655440000', name: 'John Smith' };

describe('the session cookie', () => {
  it('reads back the shopper it was made for, with the token when there is one', () => {
    expect(verifySession(createSession(JOHN, SECRET, 60), SECRET)).toEqual(JOHN);
    expect(verifySession(createSession({ ...JOHN, token: 'eyJ.x.y' }, SECRET, 60), SECRET)).toEqual({ ...JOHN, token: 'eyJ.x.y' });
  });

  it('is signed out when the payload is changed, even with a well-formed payload', () => {
    const value = createSession(JOHN, SECRET, 60);
    const [, payload, mac] = value.split('.') as [string, string, string];
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...body, c: '550e8400-e29b-41d4-a716-446655440001' })).toString('base64url');
    expect(verifySession(`v1.${forged}.${mac}`, SECRET)).toBeUndefined();
  });

  it('is signed out when the signature is changed, cut, or made with another secret', () => {
    const value = createSession(JOHN, SECRET, 60);
    const flipped = value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');
    expect(verifySession(flipped, SECRET)).toBeUndefined();
    expect(verifySession(value.slice(0, -3), SECRET)).toBeUndefined();
    expect(verifySession(createSession(JOHN, `${SECRET}-other`, 60), SECRET)).toBeUndefined();
  });

  it('is signed out once expired, and for values that are no session at all', () => {
    const now = Date.now();
    expect(verifySession(createSession(JOHN, SECRET, 60, now), SECRET, now + 61_000)).toBeUndefined();
    for (const junk of [undefined, '', 'v1', 'v1..', 'v2.e30.x', 'not.a.session.at.all']) expect(verifySession(junk, SECRET), String(junk)).toBeUndefined();
  });
});
