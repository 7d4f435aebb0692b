import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '@shop/observability';
import type { Transport } from '../types';
import { createFaultyTransport } from './faulty.transport';

const rate = z.number().min(0).max(1);

/**
 * `EVENT_FAULTS`: a JSON object that wraps the service's transport in the fault-injecting wrapper, for the
 * chaos benchmark (each service a process of its own, so the faults must be switched on from outside).
 * Refused with NODE_ENV=production by the events schema.
 */
export const eventFaultsSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(
    z.strictObject({
      dropRate: rate.default(0),
      duplicateRate: rate.default(0),
      delayRate: rate.default(0),
      delayMs: z.tuple([z.number().int().min(0), z.number().int().min(0)]).optional(),
      seed: z.number().int().optional(),
      /** The subscriptions (`service.topic`) that may lose messages; every one when omitted. */
      dropsOn: z.array(z.string().min(1)).optional(),
      /** A folder where the wrapper writes what it injected so far, as `<pid>.json`, every second. */
      reportDir: z.string().min(1).optional(),
    }),
  );
export type EventFaults = z.infer<typeof eventFaultsSchema>;

/** `inner` wrapped as `EVENT_FAULTS` says; its counts written to `reportDir` while it runs and when it closes. */
export function withInjectedFaults(inner: Transport, faults: EventFaults, logger: Logger): Transport {
  const dropsOn = faults.dropsOn ? new Set(faults.dropsOn) : undefined;
  const faulty = createFaultyTransport(inner, {
    dropRate: faults.dropRate,
    duplicateRate: faults.duplicateRate,
    delayRate: faults.delayRate,
    ...(faults.delayMs ? { delayMs: faults.delayMs } : {}),
    seed: faults.seed ?? process.pid,
    ...(dropsOn ? { dropsOn: (spec) => dropsOn.has(spec.name) } : {}),
  });
  logger.warn({ faults }, 'EVENT_FAULTS: deliveries are dropped, duplicated and delayed on purpose');
  const { reportDir } = faults;
  if (!reportDir) return faulty;
  mkdirSync(reportDir, { recursive: true });
  const report = () => writeFileSync(join(reportDir, `${process.pid}.json`), JSON.stringify(faulty.faults));
  const timer = setInterval(report, 1_000);
  timer.unref();
  return {
    ...faulty,
    async close() {
      clearInterval(timer);
      report();
      await faulty.close();
    },
  };
}
