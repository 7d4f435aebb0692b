import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

const COLORS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/** Prints a child's JSON log lines readably, prefixed with its name; other lines pass through. */
export function relayLogLines(name: string, index: number, stream: Readable, out: NodeJS.WritableStream): void {
  const color = process.stdout.isTTY ? COLORS[index % COLORS.length] : undefined;
  const prefix = color ? `\x1b[${color}m${name.padEnd(12)}\x1b[0m` : name.padEnd(12);
  createInterface({ input: stream }).on('line', (line) => {
    out.write(`${prefix} ${format(line)}\n`);
  });
}

function format(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as { severity?: string; message?: string; time?: string; error?: { stack?: string; message?: string } };
    const time = entry.time?.slice(11, 19) ?? '';
    const detail = entry.error ? `\n${entry.error.stack ?? entry.error.message}` : '';
    return `${time} ${(entry.severity ?? '').padEnd(7)} ${entry.message ?? ''}${detail}`;
  } catch {
    return line;
  }
}
