import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWakeup } from './wakeup';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Whether the promise has settled once pending callbacks ran (timers do not advance). */
async function isSettled(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await vi.advanceTimersByTimeAsync(0);
  return settled;
}

describe('createWakeup', () => {
  it('sleeps until the time is up, or until woken', async () => {
    const wakeup = createWakeup();
    const sleep = wakeup.sleep(1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await isSettled(sleep)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await isSettled(sleep)).toBe(true);

    wakeup.rearm();
    const woken = wakeup.sleep(1_000);
    wakeup.wake();
    expect(await isSettled(woken)).toBe(true);
  });

  it('keeps a wake that came before the sleep until the next rearm', async () => {
    const wakeup = createWakeup();
    wakeup.wake();
    expect(await isSettled(wakeup.sleep(1_000))).toBe(true);
    expect(await isSettled(wakeup.sleep(1_000))).toBe(true);
    wakeup.rearm();
    expect(await isSettled(wakeup.sleep(1_000))).toBe(false);
  });

  it('does not cut a pause short on a wake, only on close', async () => {
    const wakeup = createWakeup();
    const pause = wakeup.pause(1_000);
    wakeup.wake();
    expect(await isSettled(pause)).toBe(false);
    wakeup.close();
    expect(await isSettled(pause)).toBe(true);
  });

  it('once closed, ends every wait at once', async () => {
    const wakeup = createWakeup();
    const sleep = wakeup.sleep(1_000);
    wakeup.close();
    wakeup.rearm();
    expect(await isSettled(sleep)).toBe(true);
    expect(await isSettled(wakeup.sleep(1_000))).toBe(true);
    expect(await isSettled(wakeup.pause(1_000))).toBe(true);
  });
});
