import { describe, expect, it } from 'vitest';
import { ContractViolation } from './contract-violation';
import { buildEnvelope, decodeEnvelope, DECODE_FAILURE_REASONS, encodeEnvelope, EventAttributes, isEnvelopeOf, type DecodeFailureReason, type EnvelopeMeta } from './envelope';
import { CART_ID, EXAMPLES } from './examples.fixture';
import { TOPIC_NAMES, TOPICS } from './topics';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const EVENT_ID = '9c3f1e2a-7b4d-4e5f-8a6b-1c2d3e4f5a6b';
const meta: EnvelopeMeta = { producer: 'inventory', correlationId: CART_ID, traceparent: TRACEPARENT };

function attributes(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    event_id: EVENT_ID,
    event_type: 'stock.changed',
    event_version: '1',
    occurred_at: '2026-11-24T18:00:00.000Z',
    producer: 'inventory',
    correlation_id: CART_ID,
    traceparent: TRACEPARENT,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const stockChanged = JSON.stringify(EXAMPLES['stock.changed']);

function reasonOf(attrs: Record<string, string>, data: Buffer | string): DecodeFailureReason | 'ok' {
  const result = decodeEnvelope(attrs, data);
  return result.ok ? 'ok' : result.reason;
}

describe('decodeEnvelope', () => {
  it('returns the envelope of a valid message, with its ordering key', () => {
    const result = decodeEnvelope(attributes(), Buffer.from(stockChanged));
    expect(result).toEqual({
      ok: true,
      envelope: {
        attributes: { ...attributes(), event_type: 'stock.changed' },
        payload: EXAMPLES['stock.changed'],
        orderingKey: 'TSHIRT-RED-M',
      },
    });
    if (result.ok && isEnvelopeOf(result.envelope, 'stock.changed')) {
      const version: number = result.envelope.payload.version;
      expect(version).toBe(7);
    }
  });

  it('accepts a message without traceparent, and ignores a malformed one', () => {
    const withoutTrace = decodeEnvelope(attributes({ traceparent: undefined }), stockChanged);
    expect(withoutTrace.ok && withoutTrace.envelope.attributes.traceparent).toBe(undefined);
    const malformed = decodeEnvelope(attributes({ traceparent: 'not-a-trace' }), stockChanged);
    expect(malformed.ok).toBe(true);
    expect(malformed.ok && malformed.envelope.attributes).not.toHaveProperty('traceparent');
  });

  it('tolerates attributes it does not know, and drops them', () => {
    const result = decodeEnvelope({ ...attributes(), googclient_schemaencoding: 'JSON' }, stockChanged);
    expect(result.ok && result.envelope.attributes).not.toHaveProperty('googclient_schemaencoding');
  });

  it('answers unknown_topic for an event_type outside the contract', () => {
    expect(reasonOf(attributes({ event_type: 'stock.teleported' }), stockChanged)).toBe('unknown_topic');
  });

  it('answers unknown_version for any event_version but "1"', () => {
    expect(reasonOf(attributes({ event_version: '2' }), stockChanged)).toBe('unknown_version');
    expect(reasonOf(attributes({ event_version: 'v1' }), stockChanged)).toBe('unknown_version');
    const result = decodeEnvelope(attributes({ event_version: '2' }), stockChanged);
    expect(!result.ok && result.detail).toContain('"2"');
  });

  it('answers invalid_attributes for a missing or malformed attribute', () => {
    expect(reasonOf(attributes({ event_type: undefined }), stockChanged)).toBe('invalid_attributes');
    expect(reasonOf(attributes({ event_version: undefined }), stockChanged)).toBe('invalid_attributes');
    expect(reasonOf(attributes({ event_id: 'abc' }), stockChanged)).toBe('invalid_attributes');
    expect(reasonOf(attributes({ occurred_at: '24/11/2026' }), stockChanged)).toBe('invalid_attributes');
    expect(reasonOf(attributes({ producer: undefined }), stockChanged)).toBe('invalid_attributes');
    expect(reasonOf(attributes({ correlation_id: '' }), stockChanged)).toBe('invalid_attributes');
    const result = decodeEnvelope(attributes({ event_id: 'abc' }), stockChanged);
    expect(!result.ok && result.detail).toMatch(/^event_id: /);
  });

  it('answers undecodable for data that is not JSON, or not UTF-8', () => {
    expect(reasonOf(attributes(), '{"sku": ')).toBe('undecodable');
    expect(reasonOf(attributes(), '')).toBe('undecodable');
    expect(reasonOf(attributes(), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe('undecodable');
  });

  it('answers invalid_payload for JSON that fails the topic schema, naming the field', () => {
    expect(reasonOf(attributes(), '{"sku": "A", "available": -1, "version": 1}')).toBe('invalid_payload');
    expect(reasonOf(attributes(), 'null')).toBe('invalid_payload');
    expect(reasonOf(attributes({ event_type: 'order-requested' }), stockChanged)).toBe('invalid_payload');
    const result = decodeEnvelope(attributes(), '{"sku": "A", "available": -1, "version": 1}');
    expect(!result.ok && result.detail).toContain('available');
  });

  it('covers every failure kind with the tests above', () => {
    expect([...DECODE_FAILURE_REASONS].sort()).toEqual(['invalid_attributes', 'invalid_payload', 'undecodable', 'unknown_topic', 'unknown_version']);
  });
});

describe('buildEnvelope', () => {
  it('fills the attributes and the ordering key', () => {
    const envelope = buildEnvelope('stock.changed', EXAMPLES['stock.changed'], meta);
    expect(envelope.payload).toEqual(EXAMPLES['stock.changed']);
    expect(envelope.orderingKey).toBe('TSHIRT-RED-M');
    expect(envelope.attributes).toMatchObject({
      event_type: 'stock.changed',
      event_version: '1',
      producer: 'inventory',
      correlation_id: CART_ID,
      traceparent: TRACEPARENT,
    });
    expect(EventAttributes.safeParse(envelope.attributes).success).toBe(true);
    expect(Date.now() - Date.parse(envelope.attributes.occurred_at)).toBeLessThan(60_000);
  });

  it('keeps a given event id and time, so a re-published outbox row deduplicates', () => {
    const occurredAt = new Date('2026-11-24T18:00:00.000Z');
    const envelope = buildEnvelope('stock.changed', EXAMPLES['stock.changed'], { ...meta, eventId: EVENT_ID, occurredAt });
    expect(envelope.attributes.event_id).toBe(EVENT_ID);
    expect(envelope.attributes.occurred_at).toBe('2026-11-24T18:00:00.000Z');
  });

  it('gives every event a new id by default', () => {
    const a = buildEnvelope('stock.changed', EXAMPLES['stock.changed'], meta);
    const b = buildEnvelope('stock.changed', EXAMPLES['stock.changed'], meta);
    expect(a.attributes.event_id).not.toBe(b.attributes.event_id);
  });

  it('throws ContractViolation for a payload that breaks the schema, naming the field', () => {
    const bad = { ...EXAMPLES['stock.changed'], available: -1 };
    expect(() => buildEnvelope('stock.changed', bad, meta)).toThrow(ContractViolation);
    expect(() => buildEnvelope('stock.changed', bad, meta)).toThrow(/stock\.changed: invalid payload: available: /);
  });

  it('throws ContractViolation for a cart checkout without its cart', () => {
    const payload = { ...EXAMPLES['order-requested'], cart_id: null };
    expect(() => buildEnvelope('order-requested', payload, { ...meta, producer: 'cart' })).toThrow(/cart_id/);
  });

  it('throws ContractViolation when the service does not publish the topic', () => {
    expect(() => buildEnvelope('stock.changed', EXAMPLES['stock.changed'], { ...meta, producer: 'cart' })).toThrow(/does not publish stock\.changed/);
    expect(() => buildEnvelope('order-requested', EXAMPLES['order-requested'], { ...meta, producer: 'order' })).not.toThrow();
  });

  it('throws ContractViolation for bad meta: an event id that is not a UUID, a malformed traceparent', () => {
    expect(() => buildEnvelope('stock.changed', EXAMPLES['stock.changed'], { ...meta, eventId: 'x' })).toThrow(/invalid attributes: event_id/);
    expect(() => buildEnvelope('stock.changed', EXAMPLES['stock.changed'], { ...meta, traceparent: '00-0-0-01' })).toThrow(/traceparent/);
    expect(() => buildEnvelope('stock.changed', EXAMPLES['stock.changed'], { ...meta, correlationId: '' })).toThrow(/correlation_id/);
  });

  it('refuses at compile time a payload that does not match the topic', () => {
    const attempt = () =>
      // @ts-expect-error: stock.changed needs `available` and `version`.
      buildEnvelope('stock.changed', { sku: 'x' }, meta);
    expect(attempt).toThrow(ContractViolation);
    // @ts-expect-error: a stock.changed payload is not an order-requested one.
    expect(() => buildEnvelope('order-requested', EXAMPLES['stock.changed'], meta)).toThrow(ContractViolation);
    // @ts-expect-error: not a topic.
    expect(() => buildEnvelope('stock.teleported', {}, meta)).toThrow(ContractViolation);
  });
});

describe('encodeEnvelope', () => {
  it.each(TOPIC_NAMES)('round-trips %s through decodeEnvelope', (topic) => {
    const envelope = buildEnvelope(topic, EXAMPLES[topic] as never, { ...meta, producer: TOPICS[topic].producers[0]!, traceparent: undefined });
    const encoded = encodeEnvelope(envelope);
    expect(encoded.topic).toBe(topic);
    expect(encoded.attributes).not.toHaveProperty('traceparent');
    expect(Object.values(encoded.attributes).every((v) => typeof v === 'string')).toBe(true);
    expect(decodeEnvelope(encoded.attributes, Buffer.from(encoded.data))).toEqual({ ok: true, envelope });
  });
});
