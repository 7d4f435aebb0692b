// Creates the contracts' topics, dead-letter topics and push subscriptions on the Pub/Sub emulator, pushing
// to every service on this machine (http://<PUBSUB_PUSH_HOST or 127.0.0.1>:<local port>/pubsub/push).
// Emulator only: in Google Cloud, Terraform owns these resources.
//   PUBSUB_EMULATOR_HOST=127.0.0.1:8085 GOOGLE_CLOUD_PROJECT=shop-local tsx scripts/pubsub-topology.ts
import { PubSub } from '@google-cloud/pubsub';
import { applyPubSubTopology, localBaseUrls, planPubSubTopology } from '@shop/events';

const emulatorHost = process.env['PUBSUB_EMULATOR_HOST'];
const projectId = process.env['GOOGLE_CLOUD_PROJECT'];
if (!emulatorHost || !projectId) {
  console.error('PUBSUB_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT are required (this script only sets up the emulator)');
  process.exit(2);
}

// The emulator needs no credentials; without this the client probes for a GCE metadata server and warns.
process.env['METADATA_SERVER_DETECTION'] ??= 'none';
const plan = planPubSubTopology({ projectId, baseUrls: localBaseUrls(process.env['PUBSUB_PUSH_HOST'] || '127.0.0.1') });
const pubsub = new PubSub({ projectId, apiEndpoint: emulatorHost, emulatorMode: true });
try {
  const { created, updated, unchanged } = await applyPubSubTopology(pubsub, plan);
  console.log(`${plan.topics.length} topics, ${plan.subscriptions.length} subscriptions on ${emulatorHost} (project ${projectId}):`);
  console.log(`  created ${created.length}; settings re-applied to ${updated.length} existing subscriptions; ${unchanged.length} topics already there`);
} finally {
  await pubsub.close();
}
