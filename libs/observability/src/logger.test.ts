import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runWithLogContext } from './log-context';
import { createLogger, type LoggerOptions } from './logger';

const trace = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true };

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger({ service: 'cart', version: '1.0.0', destination, ...options }), lines };
}

describe('createLogger', () => {
  it("writes Cloud Logging's shape: severity, message, time, service", () => {
    const { logger, lines } = capture();
    logger.info({ sku: 'A-1' }, 'stock changed');
    expect(lines).toEqual([
      { severity: 'INFO', message: 'stock changed', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), service: 'cart', version: '1.0.0', sku: 'A-1' },
    ]);
  });

  it.each([
    ['debug', 'DEBUG'],
    ['info', 'INFO'],
    ['warn', 'WARNING'],
    ['error', 'ERROR'],
    ['fatal', 'CRITICAL'],
  ] as const)('maps %s to severity %s', (level, severity) => {
    const { logger, lines } = capture({ level: 'trace' });
    logger[level]('x');
    expect(lines[0]).toMatchObject({ severity });
    expect(lines[0]).not.toHaveProperty('level');
  });

  it('carries request_id and the trace inside runWithLogContext, across awaits', async () => {
    const { logger, lines } = capture();
    await runWithLogContext({ requestId: 'req-1', trace }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      logger.info('inside');
    });
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      severity: 'INFO',
      message: 'inside',
      request_id: 'req-1',
      'logging.googleapis.com/trace': trace.traceId,
      'logging.googleapis.com/spanId': trace.spanId,
      'logging.googleapis.com/trace_sampled': true,
    });
    expect(lines[1]).not.toHaveProperty('request_id');
    expect(lines[1]).not.toHaveProperty('logging.googleapis.com/trace');
  });

  it('names the trace projects/<id>/traces/<traceId> when a project is set', () => {
    const { logger, lines } = capture({ projectId: 'shop-prod' });
    runWithLogContext({ requestId: 'req-2', trace }, () => logger.warn('slow'));
    expect(lines[0]).toMatchObject({
      severity: 'WARNING',
      request_id: 'req-2',
      'logging.googleapis.com/trace': `projects/shop-prod/traces/${trace.traceId}`,
    });
  });

  it('keeps concurrent contexts apart', async () => {
    const { logger, lines } = capture();
    await Promise.all(
      ['a', 'b', 'c'].map((id, i) =>
        runWithLogContext({ requestId: id }, async () => {
          await new Promise((r) => setTimeout(r, 3 - i));
          logger.info(id);
        }),
      ),
    );
    for (const line of lines) expect(line['request_id']).toBe(line['message']);
  });

  it('adds extra context fields and lets an inner context extend an outer one', () => {
    const { logger, lines } = capture();
    runWithLogContext({ requestId: 'outer', subscriber: 'cart' }, () =>
      runWithLogContext({ event_id: 'e-1' }, () => logger.info('handled')),
    );
    expect(lines[0]).toMatchObject({ request_id: 'outer', subscriber: 'cart', event_id: 'e-1' });
  });

  it('serialises an error with its message and stack', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error('boom') }, 'failed');
    expect(lines[0]).toMatchObject({ severity: 'ERROR', message: 'failed', err: { type: 'Error', message: 'boom', stack: expect.stringContaining('boom') } });
  });

  it('files an error line with a stack under Error Reporting\'s fields: stack_trace and serviceContext {service, version}', () => {
    const { logger, lines } = capture({ version: 'cart-00042-xyz' });
    const err = new Error('boom');
    logger.error({ err }, 'unhandled error');
    logger.fatal(err);
    for (const line of lines) {
      expect(line).toMatchObject({ stack_trace: err.stack, serviceContext: { service: 'cart', version: 'cart-00042-xyz' } });
      expect(line['stack_trace']).toMatch(/^Error: boom\n\s+at /);
    }
    expect(lines[1]).toMatchObject({ severity: 'CRITICAL', message: 'boom', err: { message: 'boom' } });
  });

  it('reads an error logged as { error } as well as { err }', () => {
    const { logger, lines } = capture();
    const error = new TypeError('bad');
    logger.error({ error }, 'failed');
    expect(lines[0]).toMatchObject({ stack_trace: error.stack, error: { type: 'TypeError', message: 'bad', stack: error.stack } });
  });

  it('leaves out Error Reporting\'s fields below ERROR, and on error lines without a stack', () => {
    const { logger, lines } = capture();
    logger.warn({ err: new Error('flaky') }, 'readiness check failed');
    logger.error({ httpRequest: { status: 500 } }, 'GET /cart 500');
    logger.error({ err: 'a rejected string' }, 'unhandled rejection');
    for (const line of lines) {
      expect(line).not.toHaveProperty('stack_trace');
      expect(line).not.toHaveProperty('serviceContext');
    }
  });

  it('writes nothing below its level', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.info('quiet');
    expect(lines).toEqual([]);
  });
});
