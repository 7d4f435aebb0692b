import { describe, expect, it } from 'vitest';
import { reaskDelaySeconds } from './checkout-reask';

describe('reaskDelaySeconds', () => {
  it('waits the period, then twice as long after each re-ask, never longer than the cap', () => {
    const backoff = { afterSeconds: 20, maxSeconds: 300 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => reaskDelaySeconds(backoff, n))).toEqual([20, 40, 80, 160, 300, 300, 300]);
  });

  it('stays at the cap however often it was asked', () => {
    expect(reaskDelaySeconds({ afterSeconds: 1, maxSeconds: 7 }, 10_000)).toBe(7);
  });
});
