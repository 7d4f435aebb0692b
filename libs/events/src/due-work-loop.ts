import type pg from 'pg';
import type { Logger } from '@shop/observability';
import { listenOn } from './notify-listener';
import { createWakeup } from './wakeup';

export interface DueWorkLoopOptions {
  /** For logs and the LISTEN connection's application_name. */
  name: string;
  databaseUrl: string;
  /** NOTIFY channel that announces new work (sent at the commit that recorded it). */
  channel: string;
  /** Works off whatever is due; resolves with how many items it took. */
  runDue(): Promise<number>;
  /** Milliseconds until the next item falls due (by the database's clock), or null when nothing waits. */
  nextDueInMs(): Promise<number | null>;
  logger: Logger;
  /**
   * Longest sleep without a look at the table (a missed notification, a row written by hand); default 30 s.
   * New work comes with a NOTIFY and scheduled work at its due time, so this is only a safety net, and a
   * short one keeps an idle service busy.
   */
  pollIntervalMs?: number;
  /** Backoff while the database fails: doubles from 100 ms up to this. */
  maxBackoffMs?: number;
}

export interface DueWorkLoop {
  /** Looks for due work now. */
  wake(): void;
  /** Stops taking work and waits (at most `timeoutMs`) for the round in flight; leases cover what it abandons. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Runs `runDue` whenever there may be work: at once when a NOTIFY says something was recorded, when the
 * earliest scheduled retry falls due, and at least every `pollIntervalMs`. Several instances may run it side
 * by side: claims skip what another instance holds.
 */
export function startDueWorkLoop(options: DueWorkLoopOptions): DueWorkLoop {
  const { logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const wakeup = createWakeup();
  let stopped = false;
  let listener: pg.Client | undefined;

  /**
   * Whether something may have announced work since the last round (a NOTIFY, a caller's `wake`, a failure
   * to retry): only then is `runDue` worth its transaction. A round the poll's timer starts asks
   * `nextDueInMs` first, one small query, and takes work only when some is due: most idle rounds of the six
   * loops found nothing, and each cost a transaction of several statements through the service's client.
   */
  let announced = true;
  const announce = () => {
    announced = true;
    wakeup.wake();
  };
  // At least a few milliseconds: a due item another worker is still claiming must not make this spin.
  const sleepMs = (dueInMs: number | null) => Math.min(pollIntervalMs, Math.max(25, dueInMs ?? pollIntervalMs));

  async function listen(): Promise<void> {
    listener = await listenOn({
      databaseUrl: options.databaseUrl,
      applicationName: `${options.name}-listener`,
      channel: options.channel,
      onNotification: announce,
      onLost(err, client) {
        logger.warn({ err }, `${options.name}: lost the LISTEN connection; polling until it is back`);
        if (listener === client) listener = undefined;
        announce();
      },
    });
  }

  const loop = (async () => {
    let backoff = 100;
    while (!stopped) {
      wakeup.rearm();
      try {
        if (!listener) await listen();
        if (!announced) {
          const dueInMs = await options.nextDueInMs();
          if (dueInMs === null || dueInMs > 0) {
            await wakeup.sleep(sleepMs(dueInMs));
            continue;
          }
        }
        announced = false;
        const taken = await options.runDue();
        backoff = 100;
        if (taken > 0) {
          announced = true;
          continue;
        }
        await wakeup.sleep(sleepMs(await options.nextDueInMs()));
      } catch (err) {
        announced = true;
        logger.warn({ err, backoffMs: backoff }, `${options.name}: could not look for work; retrying`);
        await wakeup.sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
    }
  })();

  return {
    wake: announce,
    async stop(timeoutMs = 5_000) {
      stopped = true;
      wakeup.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      await listener?.end().catch(() => undefined);
      listener = undefined;
    },
  };
}
