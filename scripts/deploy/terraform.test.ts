import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { SERVICE_NAMES, SUBSCRIPTIONS, topicsPublishedBy, TOPIC_NAMES, TOPICS, type ServiceName } from '@shop/contracts';
import { planPubSubTopology } from '@shop/events';
import { envKeysOf } from './env-schema';
import { hclFormatProblems } from './hcl-format';
import { deployables, MIGRATE, REPO_ROOT } from './package-app';
import { serviceUrlVariable } from './service-roles';
import {
  danglingReferences,
  expression,
  loadTerraformModule,
  moduleArgumentProblems,
  parseTerraformFile,
  TERRAFORM_DIR,
  terraformFiles,
  type Body,
  type TerraformModule,
} from './terraform-config';
import { contractTopology, renderTopology, TOPOLOGY_FILE, type TerraformTopology } from './terraform-topology';

const MODULES = ['service', 'push-subscription', 'github-deploy'];
/** Set by Cloud Run itself on every container. */
const SET_BY_CLOUD_RUN = new Set(['PORT']);
const PROJECT = 'shop-production';

let root: TerraformModule;
let modules: Record<string, TerraformModule>;
let apps: string[];
let topology: TerraformTopology;

beforeAll(async () => {
  root = await loadTerraformModule(TERRAFORM_DIR);
  modules = Object.fromEntries(await Promise.all(MODULES.map(async (m) => [m, await loadTerraformModule(join(TERRAFORM_DIR, 'modules', m))] as const)));
  apps = (await deployables()).filter((d) => d !== MIGRATE);
  topology = JSON.parse(await readFile(TOPOLOGY_FILE, 'utf8')) as TerraformTopology;
});

/** The one block of a nested block list (hcl2json renders every nested block as an array). */
function block(body: Body | undefined, name: string): Body {
  const blocks = body?.[name];
  if (!Array.isArray(blocks) || blocks.length !== 1) throw new Error(`expected one ${name} block`);
  return blocks[0] as Body;
}

function serviceModules(): [string, Body][] {
  return Object.entries(root.modules).filter(([, body]) => body['source'] === './modules/service');
}

/** Sorted differences of two key sets, named so a failure says which side lacks what. */
function difference(expected: Iterable<string>, actual: Iterable<string>, labels: [string, string]) {
  const a = new Set(expected);
  const b = new Set(actual);
  return {
    [labels[0]]: [...a].filter((k) => !b.has(k)).sort(),
    [labels[1]]: [...b].filter((k) => !a.has(k)).sort(),
  };
}

async function configSchemaOf(app: string): Promise<z.ZodType> {
  const exported = (await import(`../../apps/${app}/src/config.ts`)) as Record<string, unknown>;
  const name = `${app.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}ConfigSchema`;
  const schema = exported[name];
  if (!schema) throw new Error(`apps/${app}/src/config.ts exports no ${name}`);
  return schema as z.ZodType;
}

function envOf(app: string): { env: Body; secretEnv: Body } {
  const body = root.modules[app];
  if (!body) throw new Error(`terraform/services.tf has no module "${app}"`);
  return { env: (body['env'] ?? {}) as Body, secretEnv: (body['secret_env'] ?? {}) as Body };
}

describe('the Terraform configuration', () => {
  it('parses: every .tf file is valid HCL', async () => {
    const files = await terraformFiles();
    expect(files.length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const file of files) await parseTerraformFile(file).catch((err: Error) => failures.push(err.message));
    expect(failures).toEqual([]);
  });

  it('is laid out as terraform fmt lays it out (indentation, aligned "=")', async () => {
    const problems: string[] = [];
    for (const file of await terraformFiles()) {
      for (const p of hclFormatProblems(await readFile(file, 'utf8'))) problems.push(`${relative(REPO_ROOT, file)}:${p.line} ${p.message}`);
    }
    expect(problems).toEqual([]);
  });

  it('refers only to declared variables, locals, resources, data sources and module outputs', async () => {
    const problems = [];
    for (const module of [root, ...Object.values(modules)]) problems.push(...(await danglingReferences(module)), ...(await moduleArgumentProblems(module)));
    expect(problems).toEqual([]);
  });

  it('pins Terraform and the google provider to one major version, in every module', () => {
    for (const module of [root, ...Object.values(modules)]) {
      const settings = module.terraform.find((t) => t['required_providers']);
      expect(settings?.['required_version'], module.dir).toMatch(/>= 1\.\d+\.\d+, < 2\.0\.0/);
      const providers = (settings?.['required_providers'] as Body[])[0] as Record<string, { source: string; version: string }>;
      expect(providers['google'], module.dir).toEqual({ source: 'hashicorp/google', version: expect.stringMatching(/^~> 7\.\d+$/) });
    }
  });

  it('keeps its state in a GCS backend', () => {
    const backend = root.terraform.map((t) => t['backend'] as Record<string, Body[]> | undefined).find(Boolean);
    expect(Object.keys(backend ?? {})).toEqual(['gcs']);
    expect(backend!['gcs']![0]!['prefix']).toBeTruthy();
  });

  it('describes every variable and output', () => {
    const undocumented = [root, ...Object.values(modules)].flatMap((m) => [
      ...Object.entries(m.variables).filter(([, v]) => !v['description']).map(([n]) => `${relative(REPO_ROOT, m.dir)}: variable ${n}`),
      ...Object.entries(m.outputs).filter(([, v]) => !v['description']).map(([n]) => `${relative(REPO_ROOT, m.dir)}: output ${n}`),
    ]);
    expect(undocumented).toEqual([]);
  });

  it('outputs the URL of every service', () => {
    expect(expression(root.outputs['service_urls']?.['value'])).toBe('local.service_urls');
    const urls = root.locals['service_urls'] as Body;
    expect(Object.keys(urls).sort()).toEqual([...apps].sort());
    for (const app of apps) expect(urls[app]).toBe(`\${module.${app}.uri}`);
  });

  it('never makes anything public (no allUsers or allAuthenticatedUsers)', async () => {
    for (const file of await terraformFiles()) expect(await readFile(file, 'utf8'), file).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });
});

describe('the Pub/Sub topology in Terraform', () => {
  it('declares exactly the contracts\' topics and subscriptions, in both directions', () => {
    const expected = contractTopology();
    expect(difference(Object.keys(expected.topics), Object.keys(topology.topics), ['topics missing from Terraform', 'topics the contracts do not declare'])).toEqual({
      'topics missing from Terraform': [],
      'topics the contracts do not declare': [],
    });
    expect(
      difference(Object.keys(expected.subscriptions), Object.keys(topology.subscriptions), ['subscriptions missing from Terraform', 'subscriptions the contracts do not declare']),
    ).toEqual({ 'subscriptions missing from Terraform': [], 'subscriptions the contracts do not declare': [] });
    // Consumer, push path, ordering, dead-letter topic, attempts, ack deadline, backoff and producers.
    expect(topology).toEqual(expected);
    expect(SUBSCRIPTIONS.length).toBe(Object.keys(topology.subscriptions).length);
  });

  it('keeps topology.json exactly as scripts/deploy/terraform-topology.ts writes it', async () => {
    expect(await readFile(TOPOLOGY_FILE, 'utf8'), 'run npx tsx scripts/deploy/terraform-topology.ts').toBe(renderTopology(contractTopology()));
  });

  it('creates a topic per topology topic and a subscription module per topology subscription', () => {
    expect(expression(root.locals['topology'])).toBe('jsondecode(file("${path.module}/topology.json"))');
    expect(root.resources['google_pubsub_topic.event']?.['for_each']).toBe('${local.topology.topics}');
    expect(root.resources['google_pubsub_topic.event']?.['name']).toBe('${each.key}');
    const subscription = root.modules['subscription']!;
    expect(subscription['source']).toBe('./modules/push-subscription');
    expect(subscription['for_each']).toBe('${var.enable_services ? local.topology.subscriptions : {}}');
    expect(subscription).toMatchObject({
      name: '${each.key}',
      subscription: '${each.value}',
      topic_id: '${google_pubsub_topic.event[each.value.topic].id}',
      service_url: '${local.service_urls[each.value.service]}',
      audience: '${local.push_audience[each.value.service]}',
      push_service_account_email: '${google_service_account.pubsub_push.email}',
    });
  });

  it('configures each push subscription from its topology entry: endpoint, OIDC audience, deadline, retries, ordering, dead letters', () => {
    const m = modules['push-subscription']!;
    const push = m.resources['google_pubsub_subscription.push']!;
    expect(push).toMatchObject({
      name: '${var.name}',
      topic: '${var.topic_id}',
      ack_deadline_seconds: '${var.subscription.ack_deadline_seconds}',
      enable_message_ordering: '${var.subscription.ordering}',
    });
    const pushConfig = block(push, 'push_config');
    expect(pushConfig['push_endpoint']).toBe('${var.service_url}${var.subscription.push_path}');
    expect(block(pushConfig, 'oidc_token')).toEqual({ service_account_email: '${var.push_service_account_email}', audience: '${var.audience}' });
    expect(block(push, 'retry_policy')).toEqual({ minimum_backoff: '${var.subscription.min_backoff_seconds}s', maximum_backoff: '${var.subscription.max_backoff_seconds}s' });
    expect(block(push, 'dead_letter_policy')).toEqual({ dead_letter_topic: '${google_pubsub_topic.dead_letter.id}', max_delivery_attempts: '${var.subscription.max_delivery_attempts}' });
    expect(m.resources['google_pubsub_topic.dead_letter']?.['name']).toBe('${var.subscription.dead_letter_topic}');
    expect(m.resources['google_pubsub_subscription.dead_letter']).toMatchObject({ name: '${var.subscription.dead_letter_subscription}', topic: '${google_pubsub_topic.dead_letter.id}' });
  });

  it('matches the Pub/Sub plan the emulator setup applies (libs/events planPubSubTopology)', () => {
    const plan = planPubSubTopology({ projectId: PROJECT, baseUrls: Object.fromEntries(SERVICE_NAMES.map((s) => [s, `https://${s}.run.app`])) });
    const subs = Object.values(topology.subscriptions);
    const terraformTopics = [...Object.keys(topology.topics), ...subs.map((s) => s.dead_letter_topic)];
    expect(difference(plan.topics, terraformTopics, ['missing', 'extra'])).toEqual({ missing: [], extra: [] });
    const terraformSubscriptions = [...Object.keys(topology.subscriptions), ...subs.map((s) => s.dead_letter_subscription)];
    expect(difference(plan.subscriptions.map((s) => s.name), terraformSubscriptions, ['missing', 'extra'])).toEqual({ missing: [], extra: [] });
    for (const planned of plan.subscriptions.filter((s) => s.kind === 'push')) {
      const s = topology.subscriptions[planned.name]!;
      expect(planned.options, planned.name).toMatchObject({
        ackDeadlineSeconds: s.ack_deadline_seconds,
        enableMessageOrdering: s.ordering,
        retryPolicy: { minimumBackoff: { seconds: s.min_backoff_seconds }, maximumBackoff: { seconds: s.max_backoff_seconds } },
        deadLetterPolicy: { deadLetterTopic: `projects/${PROJECT}/topics/${s.dead_letter_topic}`, maxDeliveryAttempts: s.max_delivery_attempts },
      });
      expect(planned.options.pushConfig?.pushEndpoint).toBe(`https://${s.service}.run.app${s.push_path}`);
    }
    const deadLetter = modules['push-subscription']!.resources['google_pubsub_subscription.dead_letter']!;
    for (const planned of plan.subscriptions.filter((s) => s.kind === 'dead-letter')) {
      expect(`${(planned.options.messageRetentionDuration as { seconds: number }).seconds}s`).toBe(deadLetter['message_retention_duration']);
      expect(planned.options.ackDeadlineSeconds).toBe(deadLetter['ack_deadline_seconds']);
    }
  });

  it('lets the Pub/Sub service agent publish dead letters and acknowledge on the source subscription', () => {
    const m = modules['push-subscription']!;
    expect(m.resources['google_pubsub_topic_iam_member.agent_publishes_dead_letters']).toMatchObject({
      topic: '${google_pubsub_topic.dead_letter.id}',
      role: 'roles/pubsub.publisher',
      member: 'serviceAccount:${var.pubsub_service_agent}',
    });
    expect(m.resources['google_pubsub_subscription_iam_member.agent_acknowledges']).toMatchObject({
      subscription: '${google_pubsub_subscription.push.id}',
      role: 'roles/pubsub.subscriber',
      member: 'serviceAccount:${var.pubsub_service_agent}',
    });
    expect(root.locals['pubsub_service_agent']).toBe('service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com');
  });
});

describe('the Cloud Run services in Terraform', () => {
  it('has one service module, with its own service account, per app in apps/ (and none without an app)', () => {
    expect(difference(apps, serviceModules().map(([name]) => name), ['apps without a Cloud Run service', 'services without an app'])).toEqual({
      'apps without a Cloud Run service': [],
      'services without an app': [],
    });
    for (const [name, body] of serviceModules()) {
      expect(body['name'], name).toBe(name);
      expect(body['deploy'], name).toBe('${var.enable_services}');
      expect(body['image'], name).toBe(`\${local.image_repository}/${name}:\${var.image_tag}`);
    }
    const m = modules['service']!;
    expect(m.resources['google_service_account.this']?.['account_id']).toBe('svc-${var.name}');
    expect(block(m.resources['google_cloud_run_v2_service.this'], 'template')['service_account']).toBe('${google_service_account.this.email}');
    expect(Object.keys(root.locals['service_account_emails'] as Body).sort()).toEqual([...apps].sort());
    const listed = [...String(root.locals['services']).matchAll(/"([a-z-]+)"/g)].map((m) => m[1]!);
    expect(listed.sort(), 'local.services').toEqual([...apps].sort());
  });

  it('gives every service each variable its config schema requires', async () => {
    const missing: Record<string, string[]> = {};
    for (const app of apps) {
      const { required } = envKeysOf(await configSchemaOf(app));
      const { env, secretEnv } = envOf(app);
      const provided = new Set([...Object.keys(env), ...Object.keys(secretEnv), ...SET_BY_CLOUD_RUN]);
      const lacking = [...required].filter((key) => !provided.has(key));
      if (lacking.length) missing[app] = lacking;
    }
    expect(missing).toEqual({});
  });

  it('gives a service no variable, and above all no secret, its config schema does not read', async () => {
    const unread: Record<string, string[]> = {};
    for (const app of apps) {
      const { all } = envKeysOf(await configSchemaOf(app));
      const { env, secretEnv } = envOf(app);
      const extra = [...Object.keys(secretEnv).map((k) => `secret ${k}`), ...Object.keys(env)].filter((k) => !all.has(k.replace(/^secret /, '')));
      if (extra.length) unread[app] = extra;
    }
    expect(unread).toEqual({});
  });

  it('starts every service: the environment Terraform gives passes its config schema in production', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const placeholders: Record<string, string> = {
      DATABASE_URL: 'postgresql://shop_x:password@localhost/shop?host=/cloudsql/p:r:shop-pg',
      ADMIN_API_TOKEN: 'A'.repeat(48),
      SUPPORT_API_TOKEN: 'S'.repeat(48),
      SMTP_URL: 'smtps://mailer:secret@smtp.example.com:465',
      VAPID_PUBLIC_KEY: publicKey.export({ format: 'der', type: 'spki' }).subarray(-65).toString('base64url'),
      VAPID_PRIVATE_KEY: Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64url'),
    };
    const failures: Record<string, string[]> = {};
    for (const app of apps) {
      const { env, secretEnv } = envOf(app);
      const values: Record<string, string> = { PORT: '8080' };
      for (const [key, value] of Object.entries(env)) values[key] = evaluate(app, key, value);
      for (const key of Object.keys(secretEnv)) {
        if (!(key in placeholders)) throw new Error(`no placeholder for secret ${key}: add one to this test`);
        values[key] = placeholders[key]!;
      }
      const result = (await configSchemaOf(app)).safeParse(values);
      if (!result.success) failures[app] = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    }
    expect(failures).toEqual({});
  });

  it('gives each service its own database URL secret, and secrets only from Secret Manager', () => {
    for (const app of apps) {
      const { secretEnv } = envOf(app);
      expect(secretEnv['DATABASE_URL'], app).toBe(`\${google_secret_manager_secret.generated["database-url-${app}"].secret_id}`);
      for (const [key, value] of Object.entries(secretEnv)) expect(value, `${app} ${key}`).toMatch(/^\$\{google_secret_manager_secret\.\w+\["[a-z-]+"\]\.secret_id\}$/);
    }
    // The accessor is granted per variable the service gets, never project-wide.
    const m = modules['service']!;
    expect(m.resources['google_secret_manager_secret_iam_member.access']).toMatchObject({ for_each: '${var.secret_env}', secret_id: '${each.value}', role: 'roles/secretmanager.secretAccessor' });
    for (const module of [root, m]) {
      for (const [address, body] of Object.entries(module.resources)) {
        if (address.startsWith('google_project_iam')) expect(body['role'], address).not.toBe('roles/secretmanager.secretAccessor');
      }
    }
  });

  it('lets each service publish only the topics it produces (the contracts\' producers)', () => {
    for (const app of apps) {
      expect(root.modules[app]?.['publishes'], app).toBe(`\${local.published_topics["${app}"]}`);
      const fromTerraform = Object.entries(topology.topics).filter(([, t]) => t.producers.includes(app)).map(([topic]) => topic);
      expect(fromTerraform.sort(), app).toEqual(topicsPublishedBy(app as ServiceName).sort());
    }
    expect(expression(root.locals['published_topics'])).toContain('if contains(definition.producers, service)');
    expect(modules['service']!.resources['google_pubsub_topic_iam_member.publish']).toMatchObject({ for_each: '${var.publishes}', topic: '${each.value}', role: 'roles/pubsub.publisher' });
    expect(TOPIC_NAMES.every((t) => TOPICS[t].producers.length > 0)).toBe(true);
  });

  it('lets only the Pub/Sub push identity invoke the services', async () => {
    expect(root.locals['push_invoker']).toEqual({ 'pubsub-push': '${google_service_account.pubsub_push.member}' });
    for (const [name, body] of serviceModules()) expect(body['invoker_members'], name).toBe('${local.push_invoker}');
    const invoker = modules['service']!.resources['google_cloud_run_v2_service_iam_member.invoker'];
    expect(invoker).toMatchObject({ role: 'roles/run.invoker', member: '${each.value}', for_each: '${var.deploy ? var.invoker_members : {}}' });
    const grantsInvoker = Object.entries({ root, ...modules }).flatMap(([name, module]) =>
      Object.entries(module.resources).filter(([, body]) => body['role'] === 'roles/run.invoker').map(([address]) => `${name}: ${address}`),
    );
    expect(grantsInvoker).toEqual(['service: google_cloud_run_v2_service_iam_member.invoker']);
    // No policy or binding resource could grant it behind the members' back either.
    const authoritative = Object.values({ root, ...modules }).flatMap((module) => Object.keys(module.resources).filter((a) => /^google_cloud_run_v2_\w+_iam_(policy|binding)\./.test(a)));
    expect(authoritative).toEqual([]);
  });

  it('verifies the audience Pub/Sub signs for, and accepts it at Cloud Run', () => {
    for (const app of apps) {
      const { env } = envOf(app);
      expect(env['PUBSUB_PUSH_AUDIENCE'], app).toBe(`\${local.push_audience["${app}"]}`);
      expect(env['PUBSUB_PUSH_SERVICE_ACCOUNT'], app).toBe('${google_service_account.pubsub_push.email}');
      expect(env['EVENT_TRANSPORT'], app).toBe('pubsub');
      expect(env['NODE_ENV'], app).toBe('production');
    }
    const service = modules['service']!.resources['google_cloud_run_v2_service.this']!;
    expect(service['custom_audiences']).toBe('${compact([lookup(var.env, "PUBSUB_PUSH_AUDIENCE", "")])}');
  });

  it('runs each service with /healthz probes, bounded scaling and concurrency, and the Cloud SQL socket', () => {
    const service = modules['service']!.resources['google_cloud_run_v2_service.this']!;
    const template = block(service, 'template');
    expect(template['max_instance_request_concurrency']).toBe('${var.concurrency}');
    expect(block(template, 'scaling')).toEqual({ min_instance_count: '${var.min_instances}', max_instance_count: '${var.max_instances}' });
    const container = block(template, 'containers');
    expect(block(block(container, 'startup_probe'), 'http_get')['path']).toBe('/healthz');
    expect(block(block(container, 'liveness_probe'), 'http_get')['path']).toBe('/healthz');
    expect(block(block(template, 'volumes'), 'cloud_sql_instance')['instances']).toEqual(['${var.cloud_sql_connection_name}']);
    expect(block(container, 'volume_mounts')).toEqual({ name: 'cloudsql', mount_path: '/cloudsql' });
    expect(block(service, 'lifecycle')['ignore_changes']).toContain('${template[0].containers[0].image}');
  });
});

describe('the migration job in Terraform', () => {
  it('runs the migrate image with the migration user\'s URL and every service\'s URL', () => {
    const job = root.resources['google_cloud_run_v2_job.migrate']!;
    expect(job['name']).toBe('migrate');
    const container = block(block(block(job, 'template'), 'template'), 'containers');
    expect(container['image']).toBe('${local.image_repository}/migrate:${var.image_tag}');
    const secrets = root.locals['migrate_secret_env'] as Body;
    const expected = { DATABASE_URL: '${google_secret_manager_secret.generated["database-url-migrator"].secret_id}' } as Body;
    for (const app of apps) expected[serviceUrlVariable(app)] = `\${google_secret_manager_secret.generated["database-url-${app}"].secret_id}`;
    expect(secrets).toEqual(expected);
    expect((container['dynamic'] as Record<string, Body[]>)['env']?.map((d) => d['for_each'])).toEqual(['${local.migrate_secret_env}']);
    expect(root.resources['google_secret_manager_secret_iam_member.migrate']?.['for_each']).toBe('${local.migrate_secret_env}');
  });

  it('uses the same per-service role names the migration job creates', () => {
    const urls = expression(root.locals['service_database_url']) ?? '';
    expect(urls).toContain('postgresql://shop_${service}:${random_password.service[service].result}@localhost/');
  });
});

describe('Workload Identity Federation in Terraform', () => {
  it('trusts only this repository, and each deploying identity only from its workflow on the deploy ref', () => {
    const m = modules['github-deploy']!;
    const provider = m.resources['google_iam_workload_identity_pool_provider.github']!;
    expect(provider['attribute_condition']).toContain('assertion.repository == \\"${var.github_repository}\\"');
    expect(block(provider, 'oidc')['issuer_uri']).toBe('https://token.actions.githubusercontent.com');
    const principals = m.locals['workflow_principal'] as Body;
    expect(principals['deployer']).toContain('/.github/workflows/deploy.yml@${var.deploy_ref}');
    expect(principals['terraform']).toContain('/.github/workflows/terraform.yml@${var.deploy_ref}');
    expect(m.resources['google_service_account_iam_member.deployer_federation']?.['member']).toBe('${local.workflow_principal.deployer}');
    expect(m.resources['google_service_account_iam_member.terraform_federation']?.['member']).toBe('${local.workflow_principal.terraform}');
  });
});

/** The value a plain environment variable will have, for the parse check: literals, variable defaults, and the few computed ones. */
function evaluate(app: string, key: string, value: unknown): string {
  if (typeof value !== 'string') return String(value);
  if (!value.includes('${')) return value;
  const expr = expression(value) ?? '';
  const variable = /^var\.(\w+)$/.exec(expr)?.[1];
  if (variable === 'project_id') return PROJECT;
  if (variable && root.variables[variable] && 'default' in root.variables[variable]) return String(root.variables[variable]['default']);
  if (expr === `local.push_audience["${app}"]`) return `https://${app}.pubsub-push.${PROJECT}.internal`;
  if (expr === 'google_service_account.pubsub_push.email') return `pubsub-push@${PROJECT}.iam.gserviceaccount.com`;
  throw new Error(`cannot evaluate ${key} = ${value} of ${app}: teach this test the expression`);
}
