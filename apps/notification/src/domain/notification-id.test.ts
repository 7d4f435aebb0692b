import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { notificationIdFor } from './notification-id';

describe('notificationIdFor', () => {
  it('gives the same cause and channel the same v5 UUID, whatever the case of the cause', () => {
    const cause = randomUUID();
    const id = notificationIdFor(cause, 'email');
    expect(notificationIdFor(cause.toUpperCase(), 'email')).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(z.uuid().safeParse(id).success).toBe(true);
  });

  it('gives each channel and each cause its own id', () => {
    const cause = randomUUID();
    const ids = new Set([notificationIdFor(cause, 'email'), notificationIdFor(cause, 'push'), notificationIdFor(randomUUID(), 'email')]);
    expect(ids.size).toBe(3);
  });
});
