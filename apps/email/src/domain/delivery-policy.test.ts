import { describe, expect, it } from 'vitest';
import { classifySmtpFailure, retryDelayMs } from './delivery-policy';

describe('retryDelayMs', () => {
  const policy = { maxAttempts: 10, minDelayMs: 1_000, maxDelayMs: 30_000 };

  it('doubles from the minimum, between half and the whole of each step', () => {
    expect(retryDelayMs(policy, 1, () => 0)).toBe(500);
    expect(retryDelayMs(policy, 1, () => 1)).toBe(1_000);
    expect(retryDelayMs(policy, 3, () => 1)).toBe(4_000);
  });

  it('never waits longer than the maximum', () => {
    expect(retryDelayMs(policy, 30, () => 1)).toBe(30_000);
    expect(retryDelayMs(policy, 1_000, () => 1)).toBe(30_000);
  });
});

describe('classifySmtpFailure', () => {
  it('takes nodemailer\'s own verdict when it gave one', () => {
    expect(classifySmtpFailure({ responseCode: 550, permanent: true, response: '550 5.1.1 unknown user' })).toEqual({
      permanent: true,
      error: 'SMTP 550 5.1.1 unknown user',
    });
    expect(classifySmtpFailure({ responseCode: 503, permanent: false, response: '503 bad sequence' }).permanent).toBe(false);
  });

  it('treats a 4xx reply as temporary and a 5xx reply as permanent', () => {
    expect(classifySmtpFailure({ responseCode: 451, response: '451 try later' })).toEqual({ permanent: false, error: 'SMTP 451 try later' });
    expect(classifySmtpFailure({ responseCode: 421 }).permanent).toBe(false);
    expect(classifySmtpFailure({ responseCode: 554 }).permanent).toBe(true);
    expect(classifySmtpFailure({ responseCode: 503 }).permanent).toBe(false);
  });

  it('treats a connection that failed before any reply as temporary', () => {
    const refused = classifySmtpFailure({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(refused).toEqual({ permanent: false, error: 'ESOCKET: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)' });
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'EDNS', 'ETLS']) expect(classifySmtpFailure({ code, message: 'x' }).permanent).toBe(false);
  });

  it('treats a refused STARTTLS as temporary even with a 5xx reply: the relay\'s set-up, not the message', () => {
    const refused = { code: 'ETLS', responseCode: 502, permanent: true, response: '502 5.5.2 Error: command not recognized', message: 'Error upgrading connection with STARTTLS' };
    expect(classifySmtpFailure(refused)).toEqual({ permanent: false, error: 'ETLS: Error upgrading connection with STARTTLS' });
  });

  it('treats local refusals no retry can fix as permanent', () => {
    expect(classifySmtpFailure({ code: 'EENVELOPE', message: 'No recipients defined' }).permanent).toBe(true);
    expect(classifySmtpFailure({ code: 'ENOAUTH', message: 'Missing credentials' }).permanent).toBe(true);
  });

  it('treats anything unknown as temporary, which the attempt limit bounds', () => {
    expect(classifySmtpFailure(new Error('boom'))).toEqual({ permanent: false, error: 'boom' });
    expect(classifySmtpFailure('odd')).toEqual({ permanent: false, error: 'odd' });
  });
});
