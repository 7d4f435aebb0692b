/** What a polling loop waits on between rounds (see `createWakeup`). */
export interface Wakeup {
  /** Ends the current `sleep`, or the next one at once when none is under way. */
  wake(): void;
  /** Forgets the wakes so far: called as a round starts, whose look at the table covers what they announced. */
  rearm(): void;
  /** Waits up to `ms`, less when woken. */
  sleep(ms: number): Promise<void>;
  /** Waits `ms` whatever wakes arrive (a backoff must not be cut short by new work); only `close` ends it early. */
  pause(ms: number): Promise<void>;
  /** Ends the current wait and every later one at once: the loop is stopping. */
  close(): void;
}

/**
 * A loop's timer that a wake (a NOTIFY, a caller) cuts short. A wake that arrives while the loop is busy
 * is kept until the next `rearm`, so the sleep after the round returns at once: work announced between a
 * look at the table and the sleep that follows it is never left waiting for the poll.
 */
export function createWakeup(): Wakeup {
  let isClosed = false;
  let isWoken = false;
  let endSleep: (() => void) | undefined;
  let endPause: (() => void) | undefined;

  /** Waits `ms`; `hold` is handed what ends the wait early while it lasts, and undefined once it is over. */
  function timer(ms: number, hold: (end: (() => void) | undefined) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timeout = setTimeout(end, ms);
      function end() {
        clearTimeout(timeout);
        hold(undefined);
        resolve();
      }
      hold(end);
    });
  }

  const wake = () => {
    isWoken = true;
    endSleep?.();
  };
  return {
    wake,
    rearm() {
      isWoken = false;
    },
    sleep(ms) {
      if (isWoken || isClosed) return Promise.resolve();
      return timer(ms, (end) => (endSleep = end));
    },
    pause(ms) {
      if (isClosed) return Promise.resolve();
      return timer(ms, (end) => (endPause = end));
    },
    close() {
      isClosed = true;
      wake();
      endPause?.();
    },
  };
}
