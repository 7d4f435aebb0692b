import { createHash } from 'node:crypto';
import type { Channel } from './notification';

// A fixed namespace for RFC 9562 name-based (v5) ids of this service's notifications.
const NAMESPACE = Buffer.from('6f0e3c52a1d94b7e9c3f2a8d5e4b1c07', 'hex');

/**
 * The id of the notification a cause (an event's id, or a console form's) makes on a channel: a v5 UUID of
 * (cause, channel). Deterministic, so that handling the same event again (a dead letter replayed after its
 * processed_messages row was pruned) or submitting the same form twice finds the notification already made
 * instead of sending a second one, and so that a delivery outcome recorded before its notification can be
 * matched to it.
 */
export function notificationIdFor(causeId: string, channel: Channel): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${causeId.toLowerCase()}/${channel}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
