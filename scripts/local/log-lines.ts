import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

const COLORS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/** Prints a child's JSON log lines readably, prefixed with its name; other lines pass through. */
export function relayLogLines(name: string, index: number, stream: Readable, out: NodeJS.WritableStream): void {
  const color = process.stdout.isTTY ? COLORS[index % COLORS.length] : undefined;
  const prefix = color ? `\x1b[${color}m${name.padEnd(12)}\x1b[0m` : name.padEnd(12);
  createInterface({ input: stream }).on('line', (line) => {
    out.write(`${prefix} ${formatLogLine(line)}\n`);
  });
}

interface LoggedError {
  stack?: string;
  message?: string;
}

/**
 * One JSON log line as `time severity message`, followed by the stack of its error: the services log it
 * under `err` (libs/observability), `error` is read too. A line that is not JSON is returned as it is.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as { severity?: string; message?: string; time?: string; err?: LoggedError | string; error?: LoggedError | string };
    const time = entry.time?.slice(11, 19) ?? '';
    const detail = [entry.err, entry.error].map(describe).filter(Boolean).map((text) => `\n${text}`).join('');
    return `${time} ${(entry.severity ?? '').padEnd(7)} ${entry.message ?? ''}${detail}`;
  } catch {
    return line;
  }
}

function describe(error: LoggedError | string | undefined): string | undefined {
  // Some call sites log a plain string as the error (`{ err: String(err) }`).
  if (typeof error === 'string') return error;
  return error?.stack ?? error?.message;
}
