// Shared with the other delivery service (email, push): the same backoff.
export { retryDelayMs, type RetryPolicy } from '@shop/service';

/** Why an SMTP attempt failed, and whether trying the same message again could ever succeed. */
export interface SmtpFailure {
  permanent: boolean;
  error: string;
}

/** Nodemailer's error properties that tell failures apart (NodemailerError, read defensively). */
interface SmtpErrorLike {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  permanent?: unknown;
  originalCode?: unknown;
}

// Failures before anything reached a server, which no retry of the same message can fix.
const PERMANENT_LOCAL_CODES = new Set(['EENVELOPE', 'ECONFIG', 'ENOAUTH', 'EMAXRECIPIENTS', 'EFILEACCESS', 'EURLACCESS', 'EREQUIRETLS']);

/**
 * Sorts an SMTP failure. RFC 5321: a 4yz reply is transient, a 5yz reply permanent (503, "bad sequence", is
 * about the session, not the message; nodemailer says so in `permanent`). Without a reply the connection
 * failed (refused, timed out, DNS, TLS, dropped): transient. A failed or refused STARTTLS is transient too. Local refusals (a malformed address, missing
 * credentials) are permanent.
 */
export function classifySmtpFailure(err: unknown): SmtpFailure {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SmtpErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const response = typeof e.response === 'string' ? e.response.trim() : undefined;
  const message = typeof e.message === 'string' && e.message ? e.message : 'unknown error';
  const cause = typeof e.originalCode === 'string' ? ` (${e.originalCode})` : '';
  const error = (responseCode !== undefined ? `SMTP ${response ?? responseCode}` : `${code ? `${code}: ` : ''}${message}${cause}`).slice(0, 1_000);
  // STARTTLS refused or failed (even with a 5yz reply to the command) is about the server's set-up, not this
  // message: once the relay offers TLS the same message goes through, so it waits for that within the attempts.
  if (code === 'ETLS') return { permanent: false, error: `ETLS: ${message}`.slice(0, 1_000) };
  if (typeof e.permanent === 'boolean') return { permanent: e.permanent, error };
  if (responseCode !== undefined) return { permanent: responseCode >= 500 && responseCode < 600 && responseCode !== 503, error };
  return { permanent: code !== undefined && PERMANENT_LOCAL_CODES.has(code), error };
}
