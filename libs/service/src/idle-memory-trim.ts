import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from '@shop/observability';

export interface IdleMemoryTrimOptions {
  logger: Logger;
  /** How often the event loop's use is looked at. */
  checkEveryMs?: number;
  /** Below this share of the last interval spent working, the process counts as idle. */
  idleUtilization?: number;
}

/** V8's collector with options (`--expose-gc`), as far as this module calls it. */
type CollectGarbage = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * V8's `gc()`: the global one when Node was started with `--expose-gc`, else exposed now. Setting that flag
 * at run time only adds the function to contexts created afterwards, such as the one made here.
 */
function collectGarbage(): CollectGarbage {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as CollectGarbage;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as CollectGarbage;
}

const MiB = (bytes: number) => Math.round(bytes / 1048576);

/**
 * Gives memory back once the process has gone idle. V8 grows its young generation up to 64 MiB per
 * semi-space on this machine class (start-up alone, or one burst of requests, gets it there) and keeps it,
 * and old space keeps the pages its garbage left: measured, an idle service held about 40 MiB more than
 * after one full collection. V8's own memory reducer rarely gets round to it. So when the event loop was
 * busy for less than `idleUtilization` of the last interval, after having been busier at some point since
 * the last trim, one collection of the kind V8 runs under memory pressure (`last-resort`: every generation,
 * new space shrunk to its minimum, old space compacted) returns it. It costs a fraction of a CPU-second
 * once per idle period (the collection and V8's follow-up), and nothing while the service is busy: under
 * load V8 sizes its heap as it would without this.
 */
export function startIdleMemoryTrim(options: IdleMemoryTrimOptions): () => void {
  const { logger } = options;
  const checkEveryMs = options.checkEveryMs ?? 10_000;
  const idleUtilization = options.idleUtilization ?? 0.01;
  const gc = collectGarbage();
  let last = performance.eventLoopUtilization();
  // Start-up is the first busy period: the first idle interval after it trims.
  let busySinceTrim = true;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    if (utilization >= idleUtilization) {
      busySinceTrim = true;
      return;
    }
    if (!busySinceTrim) return;
    busySinceTrim = false;
    const before = process.memoryUsage();
    const started = performance.now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const after = process.memoryUsage();
    logger.debug(
      { rss_mib: [MiB(before.rss), MiB(after.rss)], heap_mib: [MiB(before.heapTotal), MiB(after.heapTotal)], ms: Math.round(performance.now() - started) },
      'idle: memory trimmed',
    );
    // The collection itself used the loop: measure the next interval from here.
    last = performance.eventLoopUtilization();
  }, checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
