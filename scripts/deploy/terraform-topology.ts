// Writes terraform/topology.json, the topics and push subscriptions Terraform creates, from the contracts'
// topology (libs/contracts). Terraform reads the file (locals.tf); terraform.test.ts fails when it and the
// contracts differ in either direction.
//   npx tsx scripts/deploy/terraform-topology.ts          write it
//   npx tsx scripts/deploy/terraform-topology.ts --check  exit 1 if it is stale
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SUBSCRIPTIONS, TOPIC_NAMES, TOPICS } from '@shop/contracts';
import { DEAD_LETTER_PUSH_PATH, deadLetterSubscriptionOf } from '@shop/events';
import { REPO_ROOT } from './package-app';

export const TOPOLOGY_FILE = join(REPO_ROOT, 'terraform/topology.json');

/** One push subscription, in Terraform's snake_case. */
export interface TerraformSubscription {
  topic: string;
  service: string;
  push_path: string;
  ordering: boolean;
  max_delivery_attempts: number;
  ack_deadline_seconds: number;
  min_backoff_seconds: number;
  max_backoff_seconds: number;
  dead_letter_topic: string;
  /** The push subscription that files what lands on the dead-letter topic in the service's dead-letter list (libs/events `deadLetterSubscriptionOf`). */
  dead_letter_subscription: string;
  /** Where that subscription pushes on the consuming service (libs/events `DEAD_LETTER_PUSH_PATH`). */
  dead_letter_push_path: string;
}

export interface TerraformTopology {
  topics: Record<string, { producers: string[] }>;
  subscriptions: Record<string, TerraformSubscription>;
}

/** The contracts' topology in the shape terraform/topology.json holds. */
export function contractTopology(): TerraformTopology {
  return {
    topics: Object.fromEntries(TOPIC_NAMES.map((topic) => [topic, { producers: [...TOPICS[topic].producers] }])),
    subscriptions: Object.fromEntries(
      SUBSCRIPTIONS.map((s) => [
        s.name,
        {
          topic: s.topic,
          service: s.service,
          push_path: s.pushPath,
          ordering: s.ordering,
          max_delivery_attempts: s.maxDeliveryAttempts,
          ack_deadline_seconds: s.ackDeadlineSeconds,
          min_backoff_seconds: s.minBackoffSeconds,
          max_backoff_seconds: s.maxBackoffSeconds,
          dead_letter_topic: s.deadLetterTopic,
          dead_letter_subscription: deadLetterSubscriptionOf(s),
          dead_letter_push_path: DEAD_LETTER_PUSH_PATH,
        },
      ]),
    ),
  };
}

export function renderTopology(topology: TerraformTopology): string {
  return `${JSON.stringify(topology, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const expected = renderTopology(contractTopology());
  if (process.argv.includes('--check')) {
    const actual = await readFile(TOPOLOGY_FILE, 'utf8').catch(() => '');
    if (actual !== expected) {
      console.error('terraform/topology.json differs from libs/contracts: run npx tsx scripts/deploy/terraform-topology.ts');
      process.exit(1);
    }
    console.log('terraform/topology.json matches libs/contracts');
  } else {
    await writeFile(TOPOLOGY_FILE, expected);
    console.log(`wrote ${TOPOLOGY_FILE}`);
  }
}
