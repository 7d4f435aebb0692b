import { describe, expect, it } from 'vitest';
import { createSession, roleOfToken, verifySession } from './session';

const tokens = { adminToken: 'admin-token-0123456789', supportToken: 'support-token-0123456789' };
const now = Date.UTC(2026, 10, 24, 18, 0, 0);

describe('console sessions', () => {
  it('verify while unexpired and name the role that signed them in', () => {
    expect(verifySession(createSession('support', tokens, 3600, now), tokens, now + 3_599_000)).toBe('support');
    expect(verifySession(createSession('admin', tokens, 3600, now), tokens, now)).toBe('admin');
  });

  it('expire after their maximum age', () => {
    expect(verifySession(createSession('support', tokens, 3600, now), tokens, now + 3_600_000)).toBeUndefined();
  });

  it('end when the token that signed them is rotated', () => {
    const session = createSession('support', tokens, 3600, now);
    expect(verifySession(session, { ...tokens, supportToken: 'rotated-token-0123456789' }, now)).toBeUndefined();
  });

  it('refuse a forged role, a changed expiry and garbage', () => {
    const session = createSession('support', tokens, 3600, now);
    const parts = session.split('.');
    expect(verifySession([parts[0], 'admin', ...parts.slice(2)].join('.'), tokens, now)).toBeUndefined();
    expect(verifySession([parts[0], parts[1], String(Number(parts[2]) + 1), ...parts.slice(3)].join('.'), tokens, now)).toBeUndefined();
    for (const value of [undefined, '', 'support', 'v1.support.1.x.y', `${session}.extra`]) expect(verifySession(value, tokens, now)).toBeUndefined();
  });

  it('accept only the exact staff tokens', () => {
    expect(roleOfToken(tokens.supportToken, tokens)).toBe('support');
    expect(roleOfToken(tokens.adminToken, tokens)).toBe('admin');
    expect(roleOfToken(`${tokens.supportToken} `, tokens)).toBeUndefined();
    expect(roleOfToken('', tokens)).toBeUndefined();
  });
});
