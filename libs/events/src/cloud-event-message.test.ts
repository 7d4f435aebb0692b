import { describe, expect, it } from 'vitest';
import { messageOfCloudEvent } from './cloud-event-message';

const attributes = { event_id: '7d0f4c1e-8a8e-4c53-9a57-1f3e0c6f1b2a', event_type: 'email.requested' };

describe('messageOfCloudEvent', () => {
  it('decodes the base64 data and keeps the attributes, message id and delivery attempt', () => {
    const read = messageOfCloudEvent({
      message: { data: Buffer.from('{"a":1}').toString('base64'), attributes, messageId: '42', publishTime: '2026-01-01T00:00:00Z' },
      subscription: 'projects/shop/subscriptions/eventarc-email-requested',
      deliveryAttempt: 3,
    });
    expect(read).toEqual({ ok: true, message: { attributes, data: Buffer.from('{"a":1}'), deliveryAttempt: 3, messageId: '42' } });
  });

  it('counts a first delivery when Pub/Sub does not say, and takes a message without data or attributes', () => {
    expect(messageOfCloudEvent({ message: {} })).toEqual({ ok: true, message: { attributes: {}, data: Buffer.alloc(0), deliveryAttempt: 1 } });
  });

  it('reports data that is not base64, keeping the message as delivered for the dead letter', () => {
    expect(messageOfCloudEvent({ message: { data: 'not base64!', attributes } })).toEqual({
      ok: false,
      detail: 'message.data is not base64',
      message: { attributes, data: 'not base64!', deliveryAttempt: 1 },
    });
  });

  it('reports what is not a Pub/Sub CloudEvent at all, keeping it as JSON', () => {
    const read = messageOfCloudEvent({ hello: 'world' });
    expect(read).toMatchObject({ ok: false, detail: expect.stringMatching(/^not a Pub\/Sub CloudEvent: message: /), message: { attributes: {}, data: '{"hello":"world"}', deliveryAttempt: 1 } });
    expect(messageOfCloudEvent(undefined)).toMatchObject({ ok: false, message: { data: 'null' } });
  });
});
