import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A signing key of the test issuer: private half for signing, public JWK for the key set. */
export interface IssuerKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface SignOptions {
  /** Signs with this key (default: the newest published key); its `kid` goes into the header. */
  key?: IssuerKey;
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for a token that has expired. */
  expiresIn?: number;
  /** Leave `exp` out altogether. */
  withoutExpiry?: boolean;
}

/**
 * An identity provider for tests: a real HTTP server on 127.0.0.1 publishing a JSON Web Key Set, and ES256
 * ID tokens signed with its keys. `rotate()` publishes a new key; `failing` answers the key set with 500.
 */
export interface TestIdTokenIssuer {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** How often the key set was fetched. */
  fetches(): number;
  /** Published keys, oldest first. */
  keys: IssuerKey[];
  /** When true the key set URL answers 500. */
  failing: boolean;
  /** A new key pair, not published. */
  newKey(kid?: string): Promise<IssuerKey>;
  /** Publishes a new key beside the old ones, and returns it. */
  rotate(): Promise<IssuerKey>;
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

async function createKey(kid = randomUUID()): Promise<IssuerKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** Starts a test issuer with one published key. */
export async function startIdTokenIssuer(options: { audience?: string } = {}): Promise<TestIdTokenIssuer> {
  let fetched = 0;
  const state = { failing: false };
  const keys: IssuerKey[] = [await createKey()];
  const server: Server = createServer((req, res) => {
    fetched++;
    if (state.failing || req.url !== '/jwks.json') {
      res.writeHead(state.failing ? 500 : 404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/`;
  const audience = options.audience ?? 'shop-test-audience';

  return {
    issuer,
    audience,
    jwksUrl: `${base}/jwks.json`,
    fetches: () => fetched,
    keys,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    newKey: createKey,
    async rotate() {
      const key = await createKey();
      keys.push(key);
      return key;
    },
    async sign(claims, signOptions = {}) {
      const key = signOptions.key ?? keys.at(-1)!;
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
        .setIssuer(signOptions.issuer ?? issuer)
        .setAudience(signOptions.audience ?? audience)
        .setIssuedAt();
      if (!signOptions.withoutExpiry) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (signOptions.expiresIn ?? 300));
      return jwt.sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
