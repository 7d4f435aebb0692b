import { round } from './bench-database';
import type { CpuSnapshot } from './process-cpu';

/** Milliseconds each process spent per unit of work (a checkout, a request), to three decimals. */
export function cpuPerUnit(split: CpuSnapshot, units: number): Record<string, number> {
  return Object.fromEntries(Object.entries(split).map(([label, ms]) => [label, round(ms / units, 3)]));
}

/** The sum of a split. */
export const cpuTotal = (split: CpuSnapshot): number => Object.values(split).reduce((sum, ms) => sum + ms, 0);

/**
 * Lines of a per-process CPU split, largest first: milliseconds, share of the total and milliseconds per
 * `unit` (e.g. "checkout"), then the total.
 */
export function cpuSplitLines(split: CpuSnapshot, units: number, unit: string, indent = '    '): string[] {
  const total = cpuTotal(split);
  const width = Math.max(5, ...Object.keys(split).map((label) => label.length));
  const line = (label: string, ms: number) =>
    `${indent}${label.padEnd(width)} ${String(Math.round(ms)).padStart(7)} ms ${String(round(total > 0 ? (ms / total) * 100 : 0)).padStart(5)} %  ${round(ms / units, 3)} ms/${unit}`;
  return [...Object.entries(split).sort(([, a], [, b]) => b - a).map(([label, ms]) => line(label, ms)), line('total', total)];
}

/** "met" or "MISSED", for a figure beside its target. */
export const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');
