import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { formatLogLine, relayLogLines } from './log-lines';

const time = '2026-12-06T03:41:07.123Z';
const stack = 'Error: boom\n    at handler (apps/cart/src/routes/cart.routes.ts:42:11)';

describe('formatLogLine', () => {
  it('prints time, severity and message of a JSON line', () => {
    expect(formatLogLine(JSON.stringify({ severity: 'INFO', message: 'listening', time }))).toBe('03:41:07 INFO    listening');
  });

  it('prints the stack of an error the services log under err', () => {
    const line = JSON.stringify({ severity: 'ERROR', message: 'unhandled error', time, err: { type: 'Error', message: 'boom', stack } });
    expect(formatLogLine(line)).toBe(`03:41:07 ERROR   unhandled error\n${stack}`);
  });

  it('prints the stack of an error logged under error, and the message when there is no stack', () => {
    expect(formatLogLine(JSON.stringify({ severity: 'ERROR', message: 'failed', time, error: { stack } }))).toBe(`03:41:07 ERROR   failed\n${stack}`);
    expect(formatLogLine(JSON.stringify({ severity: 'WARNING', message: 'slow', time, err: { message: 'timed out' } }))).toBe('03:41:07 WARNING slow\ntimed out');
    expect(formatLogLine(JSON.stringify({ severity: 'WARNING', message: 'db down', time, err: 'connect ECONNREFUSED' }))).toBe('03:41:07 WARNING db down\nconnect ECONNREFUSED');
  });

  it('passes through a line that is not JSON, or not valid JSON', () => {
    expect(formatLogLine('plain text')).toBe('plain text');
    expect(formatLogLine('{not json')).toBe('{not json');
  });
});

describe('relayLogLines', () => {
  it('writes each line of the child readably, behind its name', async () => {
    const input = new PassThrough();
    const chunks: string[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    relayLogLines('cart', 0, input, out);
    input.end(`${JSON.stringify({ severity: 'ERROR', message: 'unhandled error', time, err: { stack } })}\nnot json\n`);
    // The name is coloured on a terminal: compare without the colour codes.
    const written = () => stripVTControlCharacters(chunks.join(''));
    await vi.waitFor(() => expect(written()).toBe(`cart         03:41:07 ERROR   unhandled error\n${stack}\ncart         not json\n`));
  });
});
