import type { Certificates, OAuth2Client, TokenPayload } from 'google-auth-library';

/** The issuers Google writes into the ID tokens it signs for push subscriptions. */
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

export interface OidcVerifierOptions {
  /** The `aud` the push subscription puts in its tokens (`pushConfig.oidcToken.audience`). */
  audience: string;
  /** The service account the push subscription signs as (`pushConfig.oidcToken.serviceAccountEmail`). */
  serviceAccountEmail: string;
  /**
   * Verification keys by key id (PEM), used instead of Google's published certificates: for tests, which
   * sign tokens with their own key and must be verified exactly as production verifies Google's.
   */
  certs?: Certificates;
  /** A client of one's own (another certificates endpoint, a shared cache). */
  client?: OAuth2Client;
}

/** Why a push request's token was refused. */
export type OidcRejection = 'missing' | 'malformed' | 'invalid' | 'wrong_email' | 'email_unverified';

/** The verdict on a push token: its claims, or why it was refused (`detail` is for the log, not the caller). */
export type OidcVerification =
  | { ok: true; claims: TokenPayload }
  | { ok: false; reason: OidcRejection; detail: string };

/** Verifies the `Authorization` header of a push request. */
export interface OidcVerifier {
  /**
   * Resolves with the verdict on the token. Rejects only when the verification keys cannot be had (Google's
   * certificate endpoint unreachable): then nothing is known about the token, and Pub/Sub should retry.
   */
  verify(authorization: string | undefined): Promise<OidcVerification>;
}

/**
 * Checks what DESIGN.md asks of a push request before anything is processed: an RS256 ID token signed by
 * Google (or the test keys), not expired, issued by Google, for our audience, naming our push service
 * account with a verified e-mail. Google's certificates are fetched once and cached as long as their
 * `Cache-Control` allows (google-auth-library does that). The library (over 20 MiB once loaded) is imported
 * at the first verification: only services that receive pushes load it.
 */
export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  let loaded: Promise<OAuth2Client> | undefined;
  const clientOf = () =>
    (loaded ??= options.client
      ? Promise.resolve(options.client)
      : import('google-auth-library').then(({ OAuth2Client }) => {
          const client = new OAuth2Client({ issuers: GOOGLE_ISSUERS });
          return options.certs ? withStaticCerts(client, options.certs) : client;
        }));
  const expectedEmail = options.serviceAccountEmail.toLowerCase();

  return {
    async verify(authorization) {
      if (!authorization) return { ok: false, reason: 'missing', detail: 'no Authorization header' };
      const token = /^Bearer +([^\s]+) *$/i.exec(authorization)?.[1];
      if (!token) return { ok: false, reason: 'malformed', detail: 'the Authorization header is not a Bearer token' };
      const client = await clientOf();
      // verifyIdToken, in its two steps: a certificate fetch failure is an outage (retry), not a bad token.
      const { certs } = await client.getFederatedSignonCertsAsync();
      let claims: TokenPayload | undefined;
      try {
        const ticket = await client.verifySignedJwtWithCertsAsync(token, certs, options.audience, GOOGLE_ISSUERS);
        claims = ticket.getPayload();
      } catch (err) {
        // The library quotes the whole token in some messages; a log line should not carry a credential.
        const detail = (err instanceof Error ? err.message : String(err)).replaceAll(token, '[token]');
        return { ok: false, reason: 'invalid', detail };
      }
      if (!claims) return { ok: false, reason: 'invalid', detail: 'the token has no payload' };
      if (claims.email?.toLowerCase() !== expectedEmail) {
        return { ok: false, reason: 'wrong_email', detail: `the token names ${claims.email ?? 'no e-mail'}, not the push service account` };
      }
      if (claims.email_verified !== true) return { ok: false, reason: 'email_unverified', detail: 'the token e-mail is not verified' };
      return { ok: true, claims };
    },
  };
}

/** The library's enum of key formats (not exported from its entry point). */
type CertificateFormat = Awaited<ReturnType<OAuth2Client['getFederatedSignonCertsAsync']>>['format'];

/** Makes `client` verify against fixed keys instead of fetching Google's. */
function withStaticCerts(client: OAuth2Client, certs: Certificates): OAuth2Client {
  // The library's own extension point: verifyIdToken reads its keys through this method.
  client.getFederatedSignonCertsAsync = async () => ({ certs, format: 'PEM' as CertificateFormat });
  return client;
}
