import { describe, expect, it } from 'vitest';
import { SERVICES, SUBSCRIPTIONS, TOPIC_NAMES } from '@shop/contracts';
import { DEAD_LETTER_PUSH_PATH, deadLetterSubscriptionOf, localBaseUrls, planPubSubTopology } from '../../src';

describe('planPubSubTopology', () => {
  const plan = planPubSubTopology({ projectId: 'shop-prod', baseUrls: localBaseUrls() });

  it('creates every event topic and one dead-letter topic per subscription, by the contracts’ names', () => {
    expect(plan.topics.sort()).toEqual([...TOPIC_NAMES, ...SUBSCRIPTIONS.map((s) => s.deadLetterTopic)].sort());
    expect(new Set(plan.topics).size).toBe(plan.topics.length);
  });

  it('plans one push subscription per contract subscription, with its delivery settings', () => {
    const pushes = plan.subscriptions.filter((s) => s.kind === 'push');
    expect(pushes.map((s) => s.name)).toEqual(SUBSCRIPTIONS.map((s) => s.name));
    for (const s of SUBSCRIPTIONS) {
      expect(pushes.find((p) => p.name === s.name)).toEqual({
        name: s.name,
        topic: s.topic,
        kind: 'push',
        options: {
          pushConfig: { pushEndpoint: `http://127.0.0.1:${SERVICES[s.service].localPort}/pubsub/push` },
          ackDeadlineSeconds: s.ackDeadlineSeconds,
          enableMessageOrdering: true,
          retryPolicy: { minimumBackoff: { seconds: s.minBackoffSeconds }, maximumBackoff: { seconds: s.maxBackoffSeconds } },
          deadLetterPolicy: { deadLetterTopic: `projects/shop-prod/topics/${s.deadLetterTopic}`, maxDeliveryAttempts: s.maxDeliveryAttempts },
          expirationPolicy: {},
        },
      });
    }
  });

  it('pushes every dead-letter topic to the consuming service’s POST /pubsub/dead-letters, retried with the same backoff, with no dead-letter policy of its own', () => {
    const keepers = plan.subscriptions.filter((s) => s.kind === 'dead-letter');
    expect(keepers.map((s) => [s.name, s.topic])).toEqual(SUBSCRIPTIONS.map((s) => [deadLetterSubscriptionOf(s), s.deadLetterTopic]));
    for (const s of SUBSCRIPTIONS) {
      expect(keepers.find((k) => k.name === deadLetterSubscriptionOf(s))?.options, s.name).toEqual({
        pushConfig: { pushEndpoint: `http://127.0.0.1:${SERVICES[s.service].localPort}${DEAD_LETTER_PUSH_PATH}` },
        ackDeadlineSeconds: 60,
        retryPolicy: { minimumBackoff: { seconds: s.minBackoffSeconds }, maximumBackoff: { seconds: s.maxBackoffSeconds } },
        messageRetentionDuration: { seconds: 7 * 24 * 3600 },
        expirationPolicy: {},
      });
    }
  });

  it('signs pushes with the push service account, for the receiving service’s URL by default', () => {
    const signed = planPubSubTopology({
      projectId: 'shop-prod',
      baseUrls: { inventory: 'https://inventory-abc-ew.a.run.app/' },
      subscriptions: SUBSCRIPTIONS.filter((s) => s.service === 'inventory'),
      oidc: { serviceAccountEmail: 'pubsub-push@shop-prod.iam.gserviceaccount.com' },
    });
    const push = signed.subscriptions.find((s) => s.name === 'inventory.order-requested');
    expect(push?.options.pushConfig).toEqual({
      pushEndpoint: 'https://inventory-abc-ew.a.run.app/pubsub/push',
      oidcToken: { serviceAccountEmail: 'pubsub-push@shop-prod.iam.gserviceaccount.com', audience: 'https://inventory-abc-ew.a.run.app' },
    });
    const deadLetters = signed.subscriptions.find((s) => s.name === 'inventory.order-requested.dead-letter.sub');
    expect(deadLetters?.options.pushConfig).toEqual({
      pushEndpoint: 'https://inventory-abc-ew.a.run.app/pubsub/dead-letters',
      oidcToken: { serviceAccountEmail: 'pubsub-push@shop-prod.iam.gserviceaccount.com', audience: 'https://inventory-abc-ew.a.run.app' },
    });
    expect(signed.topics).not.toContain('customer.upserted');
  });

  it('refuses to plan a push subscription to a service without a base URL', () => {
    expect(() => planPubSubTopology({ projectId: 'p', baseUrls: { order: 'http://o' } })).toThrow(/no base URL for inventory, which consumes order-requested/);
  });
});
