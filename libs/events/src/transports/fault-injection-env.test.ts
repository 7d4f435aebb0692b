import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@shop/config';
import { testLogger } from '@shop/testing';
import { eventsEnvSchema } from '../events-config';
import { createMemoryTransport } from './memory.transport';
import { withInjectedFaults } from './fault-injection-env';

describe('EVENT_FAULTS', () => {
  it('reads the fault rates, delays and the subscriptions that may lose messages', () => {
    const config = loadConfig(eventsEnvSchema, { EVENT_FAULTS: '{"dropRate":0.05,"duplicateRate":0.05,"delayRate":0.05,"delayMs":[500,2000],"dropsOn":["order.stock-available"]}' });
    expect(config.EVENT_FAULTS).toEqual({ dropRate: 0.05, duplicateRate: 0.05, delayRate: 0.05, delayMs: [500, 2000], dropsOn: ['order.stock-available'] });
  });

  it.each([
    ['not JSON', { EVENT_FAULTS: 'drop=5%' }],
    ['a rate above 1', { EVENT_FAULTS: '{"dropRate":5}' }],
    ['an unknown member', { EVENT_FAULTS: '{"loseEverything":true}' }],
    ['production', { EVENT_FAULTS: '{"dropRate":0.05}', NODE_ENV: 'production' }],
  ])('is refused: %s', (_, env) => {
    expect(() => loadConfig(eventsEnvSchema, env)).toThrow(ConfigError);
  });

  it('reports what it injected to its folder, as <pid>.json, when the transport closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    const transport = withInjectedFaults(createMemoryTransport(), { dropRate: 1, duplicateRate: 0, delayRate: 0, reportDir: dir }, testLogger());
    await transport.close();
    expect(readdirSync(dir)).toEqual([`${process.pid}.json`]);
    expect(JSON.parse(readFileSync(join(dir, `${process.pid}.json`), 'utf8'))).toEqual({ delivered: 0, dropped: 0, duplicated: 0, delayed: 0 });
  });
});
