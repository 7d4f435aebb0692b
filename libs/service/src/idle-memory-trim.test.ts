import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '@shop/observability';
import { startIdleMemoryTrim } from './idle-memory-trim';

let stop: (() => void) | undefined;
afterEach(() => stop?.());

function recordingLogger() {
  const trims: unknown[] = [];
  const logger = { debug: (fields: unknown, message: string) => message === 'idle: memory trimmed' && trims.push(fields) } as unknown as Logger;
  return { logger, trims };
}

const intervals = (n: number) => new Promise((r) => setTimeout(r, n * 30));

describe('startIdleMemoryTrim', () => {
  it('collects once when the process goes idle after start-up, and not again while it stays idle', async () => {
    const { logger, trims } = recordingLogger();
    // Every interval counts as idle (no share of time reaches 2): the first follows start-up, the later ones a trim.
    stop = startIdleMemoryTrim({ logger, checkEveryMs: 10, idleUtilization: 2 });
    await vi.waitFor(() => expect(trims).toHaveLength(1));
    await intervals(5);
    expect(trims).toHaveLength(1);
    expect(trims[0]).toMatchObject({ rss_mib: [expect.any(Number), expect.any(Number)], heap_mib: [expect.any(Number), expect.any(Number)] });
  });

  it('never collects while the process stays busy', async () => {
    const { logger, trims } = recordingLogger();
    // No interval counts as idle.
    stop = startIdleMemoryTrim({ logger, checkEveryMs: 10, idleUtilization: 0 });
    await intervals(5);
    expect(trims).toHaveLength(0);
  });
});
