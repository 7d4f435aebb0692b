import { generateKeyPairSync } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { createOidcVerifier } from '../../src';
import { createEffectsTable, stockChangedMessage } from '../fixtures';
import { AUDIENCE, base64url, createTestSigner, footprint, PROJECT, PUSH_SERVICE_ACCOUNT, pushApp, pushBody, pushRequest, resetProduct } from './support';

const db: TestDatabase = await useTestDatabase();
await createEffectsTable(db);
const signer = createTestSigner();
const { app } = pushApp(db, { push: { verify: true, audience: AUDIENCE, serviceAccountEmail: PUSH_SERVICE_ACCOUNT, projectId: PROJECT, certs: signer.certs } });

beforeEach(() => resetProduct(db));

describe('POST /pubsub/push OIDC verification', () => {
  it('answers 204 and runs the handler once for a push with a valid token', async () => {
    const res = await app.request('/pubsub/push', pushRequest(pushBody(stockChangedMessage('SKU-1', 1)), signer.token()));
    expect(res.status).toBe(204);
    expect(await footprint(db)).toEqual({ processed: 1, deadLetters: 0, effects: 1 });
  });

  it('accepts the issuer without its scheme, as Google also writes it', async () => {
    const res = await app.request('/pubsub/push', pushRequest(pushBody(stockChangedMessage('SKU-1', 1)), signer.token({ iss: 'accounts.google.com' })));
    expect(res.status).toBe(204);
  });

  const now = Math.floor(Date.now() / 1000);
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const header = base64url(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'test-key-1' }));
  const refused: [string, () => string | undefined][] = [
    ['no token', () => undefined],
    // Beyond the library's five minutes of clock skew.
    ['an expired token', () => signer.token({ iat: now - 7200, exp: now - 3600 })],
    ['a token for another audience', () => signer.token({ aud: 'https://inventory-abc123-ew.a.run.app' })],
    ['a token of another service account', () => signer.token({ email: 'attacker@evil-project.iam.gserviceaccount.com' })],
    ['a token whose e-mail is not verified', () => signer.token({ email_verified: false })],
    ['a token from another issuer', () => signer.token({ iss: 'https://evil.example' })],
    ['a token signed with another key', () => signer.token({}, { key: otherKey })],
    ['a token signed with a key id Google does not publish', () => signer.token({}, { kid: 'unknown-key' })],
    ['an unsigned token (alg none)', () => `${header}.${base64url(JSON.stringify({ iss: 'https://accounts.google.com', aud: AUDIENCE, email: PUSH_SERVICE_ACCOUNT, email_verified: true, iat: now, exp: now + 3600 }))}.`],
    ['a garbage token', () => 'not-a-jwt'],
  ];

  it.each(refused)('answers 401 with a problem document and changes nothing for %s', async (_name, token) => {
    const res = await app.request('/pubsub/push', pushRequest(pushBody(stockChangedMessage('SKU-1', 1)), token()));
    expect(res.status).toBe(401);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    expect(await res.json()).toMatchObject({ status: 401, title: 'Unauthorized', instance: '/pubsub/push' });
    expect(await footprint(db)).toEqual({ processed: 0, deadLetters: 0, effects: 0 });
  });

  it('answers 401 before reading the body: an undecodable body from a stranger is not even dead-lettered', async () => {
    const res = await app.request('/pubsub/push', pushRequest('{not json', 'garbage'));
    expect(res.status).toBe(401);
    expect(await footprint(db)).toEqual({ processed: 0, deadLetters: 0, effects: 0 });
  });

  it('answers 401 for an Authorization header that is not a bearer token', async () => {
    const res = await app.request('/pubsub/push', { ...pushRequest(pushBody(stockChangedMessage('SKU-1', 1))), headers: { Authorization: `Basic ${signer.token()}` } });
    expect(res.status).toBe(401);
  });
});

describe('createOidcVerifier', () => {
  it('returns the verified claims', async () => {
    const verifier = createOidcVerifier({ audience: AUDIENCE, serviceAccountEmail: PUSH_SERVICE_ACCOUNT, certs: signer.certs });
    const verdict = await verifier.verify(`Bearer ${signer.token()}`);
    expect(verdict).toMatchObject({ ok: true, claims: { email: PUSH_SERVICE_ACCOUNT, aud: AUDIENCE } });
  });

  it('keeps the token itself out of the reason it gives', async () => {
    const token = signer.token({}, { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey });
    const verdict = await createOidcVerifier({ audience: AUDIENCE, serviceAccountEmail: PUSH_SERVICE_ACCOUNT, certs: signer.certs }).verify(`Bearer ${token}`);
    expect(verdict).toMatchObject({ ok: false, reason: 'invalid' });
    expect(JSON.stringify(verdict)).not.toContain(token);
  });

  it('rejects (an outage, not a bad token) when the verification keys cannot be fetched', async () => {
    const { OAuth2Client } = await import('google-auth-library');
    const client = new OAuth2Client();
    client.getFederatedSignonCertsAsync = async () => {
      throw new Error('Failed to retrieve verification certificates: ENOTFOUND');
    };
    const verifier = createOidcVerifier({ audience: AUDIENCE, serviceAccountEmail: PUSH_SERVICE_ACCOUNT, client });
    await expect(verifier.verify(`Bearer ${signer.token()}`)).rejects.toThrow(/verification certificates/);
  });

  it('makes the push route answer 503 (retry), not 401, while the keys cannot be fetched', async () => {
    const { OAuth2Client } = await import('google-auth-library');
    // No network here: make Google's certificate endpoint fail the way it would when unreachable.
    const original = OAuth2Client.prototype.getFederatedSignonCertsAsync;
    OAuth2Client.prototype.getFederatedSignonCertsAsync = async () => {
      throw new Error('Failed to retrieve verification certificates: ENOTFOUND www.googleapis.com');
    };
    try {
      const { app: production } = pushApp(db, { push: { verify: true, audience: AUDIENCE, serviceAccountEmail: PUSH_SERVICE_ACCOUNT } });
      const res = await production.request('/pubsub/push', pushRequest(pushBody(stockChangedMessage('SKU-1', 1)), signer.token()));
      expect(res.status).toBe(503);
      expect(await footprint(db)).toEqual({ processed: 0, deadLetters: 0, effects: 0 });
    } finally {
      OAuth2Client.prototype.getFederatedSignonCertsAsync = original;
    }
  });
});
