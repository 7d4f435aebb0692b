/** pg-boss's `clock` option: the timers it starts go through these. */
export interface PgBossClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** What pg-boss's work-in-progress timer calls; nothing else of pg-boss's on a timer does. */
const WORK_IN_PROGRESS_TIMER = 'getWipData';

/**
 * The system clock, less pg-boss's work-in-progress timer. pg-boss starts it in every instance to emit `wip`
 * events every 2 s, which nothing here listens to: it woke each idle service ten times every 20 s, nearly
 * half of its idle wake-ups (bench:footprint). pg-boss still emits `wip` when a worker starts or stops.
 * `dropped` counts the timers left out. A pg-boss release that renames the timer's work would keep it running:
 * libs/events/test/idle-transport.test.ts counts pg-boss's timer callbacks at rest and would fail.
 */
export function clockWithoutWorkInProgressTimer(): PgBossClock & { dropped: number } {
  const inert = { unref() {} };
  const clock = {
    dropped: 0,
    now: () => Date.now(),
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
    setInterval(fn: () => void, ms: number) {
      if (fn.toString().includes(WORK_IN_PROGRESS_TIMER)) {
        clock.dropped++;
        return inert;
      }
      return setInterval(fn, ms);
    },
    clearInterval: (handle: unknown) => {
      if (handle !== inert) clearInterval(handle as NodeJS.Timeout);
    },
  };
  return clock;
}
