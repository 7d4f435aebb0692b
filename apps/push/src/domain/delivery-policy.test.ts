import { describe, expect, it } from 'vitest';
import { classifyPushStatus, MAX_PAYLOAD_BYTES, pushPayload, retryDelayMs } from './delivery-policy';

const ID = '6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a';

describe('classifyPushStatus', () => {
  it.each([
    [201, 'sent'],
    [202, 'sent'],
    [404, 'gone'],
    [410, 'gone'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [400, 'rejected'],
    [401, 'rejected'],
    [403, 'rejected'],
    [413, 'rejected'],
  ])('reads %i as %s', (status, outcome) => {
    expect(classifyPushStatus(status)).toBe(outcome);
  });
});

describe('retryDelayMs', () => {
  it('doubles up to the maximum, between half and the whole of each step', () => {
    const policy = { maxAttempts: 5, minDelayMs: 100, maxDelayMs: 1_000 };
    expect(retryDelayMs(policy, 1, () => 0)).toBe(50);
    expect(retryDelayMs(policy, 2, () => 1)).toBe(200);
    expect(retryDelayMs(policy, 20, () => 1)).toBe(1_000);
  });
});

describe('pushPayload', () => {
  it('carries the notification id, title, text and url as JSON', () => {
    expect(JSON.parse(pushPayload({ notificationId: ID, title: 'Shipped', text: 'On its way', url: '/orders/1' }))).toEqual({
      notification_id: ID,
      title: 'Shipped',
      text: 'On its way',
      url: '/orders/1',
    });
    expect(JSON.parse(pushPayload({ notificationId: ID, title: 'T', text: '', url: null }))).toEqual({ notification_id: ID, title: 'T', text: '' });
  });

  it('shortens an over-long text, then title, to fit Web Push, keeping characters whole', () => {
    const long = pushPayload({ notificationId: ID, title: 'Big', text: '😀'.repeat(5_000), url: null });
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    const parsed = JSON.parse(long) as { title: string; text: string };
    expect(parsed.title).toBe('Big');
    expect(parsed.text.endsWith('…')).toBe(true);
    expect(parsed.text.length).toBeGreaterThan(1_000);
    expect(parsed.text).not.toMatch(/\uFFFD/);

    const huge = JSON.parse(pushPayload({ notificationId: ID, title: 'x'.repeat(10_000), text: 'y'.repeat(10_000), url: null })) as { title: string; text: string };
    expect(huge.text).toBe('');
    expect(huge.title.endsWith('…')).toBe(true);
  });
});
