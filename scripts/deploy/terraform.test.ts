import { parse } from '@cdktf/hcl2json';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { SERVICE_NAMES, SUBSCRIPTIONS, subscriptionName, topicsPublishedBy, TOPIC_NAMES, TOPICS, type ServiceName, type TopicName } from '@shop/contracts';
import { DEAD_LETTER_PUSH_PATH, deadLetterSubscriptionOf, planPubSubTopology } from '@shop/events';
import { envKeysOf } from './env-schema';
import { hclFormatProblems } from './hcl-format';
import { deployables, functionBundlePath, FUNCTIONS_FRAMEWORK_MAIN, hasFunction, MIGRATE, REPO_ROOT } from './package-app';
import { serviceUrlVariable } from './service-roles';
import {
  danglingReferences,
  evaluate,
  expression,
  functionArgs,
  loadTerraformModule,
  moduleArgumentProblems,
  normalized,
  parseTerraformFile,
  TERRAFORM_DIR,
  terraformFiles,
  type Body,
  type Scope,
  type TerraformModule,
} from './terraform-config';
import { contractTopology, renderTopology, TOPOLOGY_FILE, type TerraformTopology } from './terraform-topology';

const MODULES = ['service', 'push-subscription', 'github-deploy'];
/** Set by Cloud Run itself on every container. */
const SET_BY_CLOUD_RUN = new Set(['PORT']);
const PROJECT = 'shop-production';
const PUSH_SA = `pubsub-push@${PROJECT}.iam.gserviceaccount.com`;
const PUBSUB_AGENT = 'service-123456789@gcp-sa-pubsub.iam.gserviceaccount.com';
const topicId = (name: string) => `projects/${PROJECT}/topics/${name}`;
/** What Cloud Run would name a service's URL; any https URL per service will do for the rendering. */
const runUrl = (service: string) => `https://${service}-x7y2z3-ew.a.run.app`;

let root: TerraformModule;
let modules: Record<string, TerraformModule>;
let apps: string[];
/** The apps behind the storefront. */
let backendApps: string[];
let topology: TerraformTopology;

beforeAll(async () => {
  root = await loadTerraformModule(TERRAFORM_DIR);
  modules = Object.fromEntries(await Promise.all(MODULES.map(async (m) => [m, await loadTerraformModule(join(TERRAFORM_DIR, 'modules', m))] as const)));
  apps = (await deployables()).filter((d) => d !== MIGRATE);
  backendApps = apps.filter((app) => app !== STOREFRONT);
  topology = JSON.parse(await readFile(TOPOLOGY_FILE, 'utf8')) as TerraformTopology;
});

/** The one block of a nested block list (hcl2json renders every nested block as an array). */
function block(body: Body | undefined, name: string): Body {
  const blocks = body?.[name];
  if (!Array.isArray(blocks) || blocks.length !== 1) throw new Error(`expected one ${name} block`);
  return blocks[0] as Body;
}

/** A Cloud Run service of Terraform: an app's service (module "<app>") or its function (module "<app>_function"). */
interface Deployed {
  module: string;
  app: string;
  kind: 'service' | 'function';
}

const FUNCTION_SUFFIX = '_function';

function serviceModuleCalls(): [string, Body][] {
  return Object.entries(root.modules).filter(([, body]) => body['source'] === './modules/service');
}

function serviceModules(): [string, Body][] {
  return serviceModuleCalls().filter(([name]) => !name.endsWith(FUNCTION_SUFFIX));
}

function functionModules(): [string, Body][] {
  return serviceModuleCalls().filter(([name]) => name.endsWith(FUNCTION_SUFFIX));
}

/** The public storefront (terraform/storefront.tf): no database, no events, open to the internet; checked on its own. */
const STOREFRONT = 'storefront';

/** The eight services of DESIGN.md's table behind the storefront: databases, events, internal ingress. */
function backendModules(): [string, Body][] {
  return serviceModules().filter(([name]) => name !== STOREFRONT);
}

/** Every Cloud Run service module: the eight services and the optional functions. */
function deployed(): Deployed[] {
  return serviceModuleCalls().map(([module]) =>
    module.endsWith(FUNCTION_SUFFIX) ? { module, app: module.slice(0, -FUNCTION_SUFFIX.length), kind: 'function' } : { module, app: module, kind: 'service' },
  );
}

/** The deployed services and functions that consume events and own a database: all but the storefront. */
function backendDeployed(): Deployed[] {
  return deployed().filter((target) => target.app !== STOREFRONT);
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

/** The zod schema a deployed service parses its environment with: `<app>ConfigSchema`, or `<app>FunctionConfigSchema` for a function. */
async function configSchemaOf(target: Deployed): Promise<z.ZodType> {
  const exported = (await import(`../../apps/${target.app}/src/config.ts`)) as Record<string, unknown>;
  const name = `${target.app.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}${target.kind === 'function' ? 'FunctionConfigSchema' : 'ConfigSchema'}`;
  const schema = exported[name];
  if (!schema) throw new Error(`apps/${target.app}/src/config.ts exports no ${name}`);
  return schema as z.ZodType;
}

function envOf(module: string): { env: Body; secretEnv: Body } {
  const body = root.modules[module];
  if (!body) throw new Error(`terraform has no module "${module}"`);
  return { env: (body['env'] ?? {}) as Body, secretEnv: (body['secret_env'] ?? {}) as Body };
}

/** The secret ids Terraform declares: generated ones (secrets.tf local.generated_secret_ids) and operator-filled ones. */
function declaredSecrets(): { generated: string[]; operator: string[] } {
  const literals = (value: unknown) => [...normalized(value).matchAll(/"([a-z0-9-]+)"/g)].map((m) => m[1]!);
  const generatedText = normalized(root.locals['generated_secret_ids']);
  // The one computed family: database-url-<service> for every service of local.services.
  expect(generatedText).toContain('[for service in local.services : "database-url-${service}"]');
  const generated = [...literals(generatedText.replace(/\[for service[^\]]*\]/, '')), ...backendApps.map((app) => `database-url-${app}`)];
  return { generated, operator: literals(root.locals['operator_secrets']) };
}

/** The variable a secret feeds: its id in upper snake case; every service's own `database-url-<service>` is its DATABASE_URL. */
function variableOfSecret(id: string): string {
  return id.startsWith('database-url-') ? 'DATABASE_URL' : id.toUpperCase().replaceAll('-', '_');
}

/**
 * The values the root module's references resolve to, for one choice of the feature variables: variable
 * defaults (project_id set), the locals the checks need (each modelled here and its expression pinned by a
 * test below), and the ids of resources. Cloud Run URLs are made up: only their distinctness matters.
 */
function rootScope(options: { deployFunctions: boolean; enableServices?: boolean }): Scope {
  const enableServices = options.enableServices ?? true;
  const variables: Record<string, unknown> = Object.fromEntries(Object.entries(root.variables).filter(([, v]) => 'default' in v).map(([name, v]) => [name, v['default']]));
  Object.assign(variables, { project_id: PROJECT, deploy_functions: options.deployFunctions, enable_services: enableServices });
  const { generated, operator } = declaredSecrets();
  const functions = root.locals['functions'] as Record<string, { target: string; subscription: string }>;
  const functionSubscriptions = options.deployFunctions && enableServices ? Object.fromEntries(Object.entries(functions).map(([app, f]) => [f.subscription, app])) : {};
  const serviceUrls = Object.fromEntries(apps.map((app) => [app, enableServices ? runUrl(app) : null]));
  const functionUrls = Object.fromEntries(Object.keys(functions).map((app) => [app, options.deployFunctions && enableServices ? runUrl(`${app}-function`) : null]));
  const subscriptions = enableServices ? topology.subscriptions : {};
  const pushEndpoints = Object.fromEntries(
    Object.entries(subscriptions).map(([name, s]) => {
      const app = functionSubscriptions[name];
      return [name, app ? `${functionUrls[app]}/projects/${PROJECT}/topics/${s.topic}` : `${serviceUrls[s.service]}${s.push_path}`];
    }),
  );
  const scope: Scope = {
    var: variables,
    data: { google_project: { this: { number: '123456789' } } },
    google_service_account: { pubsub_push: { email: PUSH_SA, member: `serviceAccount:${PUSH_SA}` } },
    google_pubsub_topic: { event: Object.fromEntries(Object.keys(topology.topics).map((t) => [t, { id: topicId(t), name: t }])) },
    // The service modules' outputs other services' environments read (the console's *_SERVICE_URL).
    module: Object.fromEntries(apps.map((app) => [app, { uri: serviceUrls[app] }])),
    google_secret_manager_secret: {
      generated: Object.fromEntries(generated.map((id) => [id, { secret_id: id }])),
      operator: Object.fromEntries(operator.map((id) => [id, { secret_id: id }])),
    },
  };
  scope['local'] = {
    topology,
    services: backendApps,
    functions,
    subscriptions,
    function_subscriptions: functionSubscriptions,
    service_urls: serviceUrls,
    function_urls: functionUrls,
    push_endpoints: pushEndpoints,
    push_audience: Object.fromEntries(backendApps.map((app) => [app, `https://${app}.pubsub-push.${PROJECT}.internal`])),
    push_invoker: { 'pubsub-push': `serviceAccount:${PUSH_SA}` },
    pubsub_service_agent: evaluate(root.locals['pubsub_service_agent'], scope),
  };
  return scope;
}

/** A resource's arguments evaluated in `scope`, without its meta-arguments (which name resources, not values). */
function evaluateResource(body: Body | undefined, scope: Scope): Record<string, unknown> {
  if (!body) throw new Error('no such resource');
  const given = Object.fromEntries(Object.entries(body).filter(([key]) => !['depends_on', 'lifecycle', 'count', 'for_each', 'provider'].includes(key)));
  return evaluate(given, scope) as Record<string, unknown>;
}

/** A module call's arguments evaluated in `scope` (meta-arguments left out), over the module's variable defaults. */
function moduleArguments(call: Body, target: TerraformModule, scope: Scope): Record<string, unknown> {
  const defaults = Object.fromEntries(Object.entries(target.variables).filter(([, v]) => 'default' in v).map(([name, v]) => [name, v['default']]));
  const given = Object.fromEntries(Object.entries(call).filter(([key]) => !['source', 'for_each', 'count', 'depends_on', 'providers'].includes(key)));
  return { ...defaults, ...(evaluate(given, scope) as Record<string, unknown>) };
}

/** What one Pub/Sub resource of the rendered configuration is, by kind. */
interface RenderedPubSub {
  topics: string[];
  push: Record<string, Record<string, unknown>>;
  deadLetter: Record<string, Record<string, unknown>>;
  /** `<role> <member> on <resource id>`, for the IAM members of the subscription modules. */
  grants: string[];
}

/**
 * Renders the Pub/Sub part of the configuration as `terraform plan` would create it: the topics of
 * google_pubsub_topic.event's for_each, and one instance of modules/push-subscription per entry of the
 * subscription module's for_each, each resource's arguments evaluated from the module's own expressions.
 */
function renderPubSub(options: { deployFunctions: boolean; enableServices?: boolean }): RenderedPubSub {
  const scope = rootScope(options);
  const topicResource = root.resources['google_pubsub_topic.event']!;
  const topicInstances = evaluate(topicResource['for_each'], scope) as Record<string, unknown>;
  const rendered: RenderedPubSub = { topics: [], push: {}, deadLetter: {}, grants: [] };
  for (const [key, value] of Object.entries(topicInstances)) rendered.topics.push(evaluate(topicResource['name'], { ...scope, each: { key, value } }) as string);

  const call = root.modules['subscription']!;
  const m = modules['push-subscription']!;
  for (const [key, value] of Object.entries(evaluate(call['for_each'], scope) as Record<string, unknown>)) {
    const variables = moduleArguments(call, m, { ...scope, each: { key, value } });
    const inModule: Scope = { var: variables };
    const deadLetterTopic = evaluate(m.resources['google_pubsub_topic.dead_letter']!['name'], inModule) as string;
    inModule['google_pubsub_topic'] = { dead_letter: { id: topicId(deadLetterTopic) } };
    const push = evaluateResource(m.resources['google_pubsub_subscription.push'], inModule);
    inModule['google_pubsub_subscription'] = { push: { id: `projects/${PROJECT}/subscriptions/${String(push['name'])}` } };
    const deadLetter = evaluateResource(m.resources['google_pubsub_subscription.dead_letter'], inModule);
    rendered.topics.push(deadLetterTopic);
    rendered.push[push['name'] as string] = push;
    rendered.deadLetter[deadLetter['name'] as string] = deadLetter;
    for (const address of ['google_pubsub_topic_iam_member.agent_publishes_dead_letters', 'google_pubsub_subscription_iam_member.agent_acknowledges']) {
      const grant = evaluateResource(m.resources[address], inModule) as Record<string, string>;
      rendered.grants.push(`${grant['role']} ${grant['member']} on ${grant['topic'] ?? grant['subscription']}`);
    }
  }
  return rendered;
}

/** The audience the service (or function) module of `module` verifies and Cloud Run accepts: its PUBSUB_PUSH_AUDIENCE. */
function audienceOf(module: string, scope: Scope): unknown {
  return evaluate(envOf(module).env['PUBSUB_PUSH_AUDIENCE'], scope);
}

/** A push subscription as the contracts (libs/contracts SUBSCRIPTIONS) and the consuming service's module say it must be. */
function expectedPush(s: (typeof SUBSCRIPTIONS)[number], scope: Scope, endpoint: string) {
  return {
    name: s.name,
    topic: topicId(s.topic),
    push_endpoint: endpoint,
    oidc_service_account: PUSH_SA,
    oidc_audience: audienceOf(s.service, scope),
    ack_deadline_seconds: s.ackDeadlineSeconds,
    enable_message_ordering: s.ordering,
    minimum_backoff: `${s.minBackoffSeconds}s`,
    maximum_backoff: `${s.maxBackoffSeconds}s`,
    dead_letter_topic: topicId(s.deadLetterTopic),
    max_delivery_attempts: s.maxDeliveryAttempts,
  };
}

/** The same fields of a rendered push subscription; a missing block throws (no retry policy, no OIDC token, …). */
function pushFields(push: Record<string, unknown>) {
  const pushConfig = block(push as Body, 'push_config');
  const oidc = block(pushConfig, 'oidc_token');
  const retry = block(push as Body, 'retry_policy');
  const deadLetter = block(push as Body, 'dead_letter_policy');
  return {
    name: push['name'],
    topic: push['topic'],
    push_endpoint: pushConfig['push_endpoint'],
    oidc_service_account: oidc['service_account_email'],
    oidc_audience: oidc['audience'],
    ack_deadline_seconds: push['ack_deadline_seconds'],
    enable_message_ordering: push['enable_message_ordering'],
    minimum_backoff: retry['minimum_backoff'],
    maximum_backoff: retry['maximum_backoff'],
    dead_letter_topic: deadLetter['dead_letter_topic'],
    max_delivery_attempts: deadLetter['max_delivery_attempts'],
  };
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
    // terraform fmt -recursive formats .tfvars files too.
    const tfvars = (await readdir(TERRAFORM_DIR)).filter((f) => f.endsWith('.tfvars')).map((f) => join(TERRAFORM_DIR, f));
    for (const file of [...(await terraformFiles()), ...tfvars]) {
      for (const p of hclFormatProblems(await readFile(file, 'utf8'))) problems.push(`${relative(REPO_ROOT, file)}:${p.line} ${p.message}`);
    }
    expect(problems).toEqual([]);
  });

  it('refers only to declared variables, locals, resources, data sources and module outputs', async () => {
    const problems = [];
    for (const module of [root, ...Object.values(modules)]) problems.push(...(await danglingReferences(module)), ...(await moduleArgumentProblems(module)));
    expect(problems).toEqual([]);
  });

  it('has a module directory for every module it calls, and calls every module directory', async () => {
    const dirs = (await readdir(join(TERRAFORM_DIR, 'modules'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(dirs.sort()).toEqual([...MODULES].sort());
    const called = new Set(Object.values(root.modules).map((body) => String(body['source']).replace('./modules/', '')));
    expect([...called].sort()).toEqual([...MODULES].sort());
  });

  it('sets only declared variables in its .tfvars files, and production\'s capacity fits the database\'s connections', async () => {
    const files = (await readdir(TERRAFORM_DIR)).filter((f) => /\.tfvars(\.example)?$/.test(f)).sort();
    expect(files).toEqual(['production.auto.tfvars', 'terraform.tfvars.example']);
    const values: Record<string, Record<string, unknown>> = {};
    for (const file of files) {
      values[file] = await parse(file, await readFile(join(TERRAFORM_DIR, file), 'utf8'));
      const undeclared = Object.keys(values[file]).filter((name) => !(name in root.variables));
      expect(undeclared, file).toEqual([]);
    }
    // The same inequality as variable "db_max_connections"'s validation (pinned in the functions tests below).
    const settings = { ...Object.fromEntries(Object.entries(root.variables).map(([name, v]) => [name, v['default']])), ...values['production.auto.tfvars'] } as Record<string, number | boolean>;
    const services = settings['deploy_functions'] ? 10 : 8;
    expect(settings['db_max_connections']).toBeGreaterThanOrEqual(services * Number(settings['service_max_instances']) * (Number(settings['db_pool_max']) + 1) + 10);
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

  it('outputs the URL of every service, and of the functions', () => {
    expect(expression(root.outputs['service_urls']?.['value'])).toBe('local.service_urls');
    const urls = root.locals['service_urls'] as Body;
    expect(Object.keys(urls).sort()).toEqual([...backendApps].sort());
    for (const app of backendApps) expect(urls[app]).toBe(`\${module.${app}.uri}`);
    expect(expression(root.outputs['function_urls']?.['value'])).toBe('local.function_urls');
    const functionUrls = root.locals['function_urls'] as Body;
    for (const app of Object.keys(functionUrls)) expect(functionUrls[app]).toBe(`\${one(module.${app}_function[*].uri)}`);
  });

  it('makes nothing public but the storefront: allUsers only through modules/service var.public, which only the storefront sets', async () => {
    const service = join(TERRAFORM_DIR, 'modules', 'service', 'main.tf');
    for (const file of await terraformFiles()) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toMatch(/allAuthenticatedUsers/);
      if (file !== service) expect(text, file).not.toMatch(/allUsers/);
    }
    expect(normalized(modules['service']!.resources['google_cloud_run_v2_service_iam_member.invoker']!['for_each'])).toBe(
      '${var.deploy ? merge(var.invoker_members, var.public ? { public = "allUsers" } : {}) : {}}',
    );
    expect(modules['service']!.variables['public']?.['default']).toBe(false);
    const publicModules = Object.entries(root.modules).filter(([, body]) => 'public' in body);
    expect(publicModules.map(([name, body]) => [name, body['public']])).toEqual([[STOREFRONT, true]]);
  });

  it('takes the values the checks below model for its locals from the expressions pinned here', () => {
    // rootScope() computes these locals in TypeScript; if an expression changes, the model must change with it.
    expect(normalized(root.locals['push_audience'])).toBe('${{ for service in local.services : service => "https://${service}.pubsub-push.${var.project_id}.internal" }}');
    expect(normalized(root.locals['subscriptions'])).toBe('${var.enable_services ? local.topology.subscriptions : {}}');
    expect(normalized(root.locals['function_subscriptions'])).toBe(
      '${var.deploy_functions && var.enable_services ? { for app, f in local.functions : f.subscription => app } : {}}',
    );
    expect(normalized(root.locals['push_endpoints'])).toBe(
      '${merge({ for name, s in local.subscriptions : name => "${local.service_urls[s.service]}${s.push_path}" }, ' +
        '{ for name, app in local.function_subscriptions : name => "${local.function_urls[app]}/projects/${var.project_id}/topics/${local.topology.subscriptions[name].topic}" })}',
    );
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

  // The rendering evaluates Terraform's own expressions (for_each, module arguments, each resource's
  // arguments), so it compares what `terraform apply` would create with the contracts, not topology.json.
  for (const deployFunctions of [false, true]) {
    describe(`rendered as terraform plan would create it (deploy_functions = ${deployFunctions})`, () => {
      let rendered: RenderedPubSub;
      let scope: Scope;
      beforeAll(() => {
        rendered = renderPubSub({ deployFunctions });
        scope = rootScope({ deployFunctions });
      });

      it('creates every topic of the contracts and one dead-letter topic per subscription, and no other topic', () => {
        const expected = [...TOPIC_NAMES, ...SUBSCRIPTIONS.map((s) => s.deadLetterTopic)];
        expect(difference(expected, rendered.topics, ['topics missing from Terraform', 'topics the contracts do not declare'])).toEqual({
          'topics missing from Terraform': [],
          'topics the contracts do not declare': [],
        });
        expect(rendered.topics.length, 'a topic created twice').toBe(new Set(rendered.topics).size);
      });

      it('creates one push subscription per consumer of the contracts and no other: topic, consumer endpoint, OIDC audience, ack deadline, retry policy, ordering, dead-letter topic and attempts', () => {
        expect(difference(SUBSCRIPTIONS.map((s) => s.name), Object.keys(rendered.push), ['subscriptions missing from Terraform', 'subscriptions the contracts do not declare'])).toEqual({
          'subscriptions missing from Terraform': [],
          'subscriptions the contracts do not declare': [],
        });
        const functions = root.locals['functions'] as Record<string, { subscription: string }>;
        const takenOver = new Map(deployFunctions ? Object.entries(functions).map(([app, f]) => [f.subscription, app]) : []);
        for (const s of SUBSCRIPTIONS) {
          const fn = takenOver.get(s.name);
          const endpoint = fn ? `${runUrl(`${fn}-function`)}/projects/${PROJECT}/topics/${s.topic}` : `${runUrl(s.service)}${s.pushPath}`;
          expect(pushFields(rendered.push[s.name]!), s.name).toEqual(expectedPush(s, scope, endpoint));
        }
      });

      it('pushes every dead-letter topic\'s messages to the consuming service\'s dead-letter list (never a function), OIDC-signed, retried with the contract\'s backoff', () => {
        expect(difference(SUBSCRIPTIONS.map(deadLetterSubscriptionOf), Object.keys(rendered.deadLetter), ['missing', 'extra'])).toEqual({ missing: [], extra: [] });
        for (const s of SUBSCRIPTIONS) {
          const deadLetter = rendered.deadLetter[deadLetterSubscriptionOf(s)]!;
          expect(deadLetter, s.name).toMatchObject({ topic: topicId(s.deadLetterTopic), expiration_policy: [{ ttl: '' }] });
          const pushConfig = block(deadLetter as Body, 'push_config');
          expect(pushConfig['push_endpoint'], s.name).toBe(`${runUrl(s.service)}${DEAD_LETTER_PUSH_PATH}`);
          expect(block(pushConfig, 'oidc_token'), s.name).toEqual({ service_account_email: PUSH_SA, audience: audienceOf(s.service, scope) });
          expect(block(deadLetter as Body, 'retry_policy'), s.name).toEqual({ minimum_backoff: `${s.minBackoffSeconds}s`, maximum_backoff: `${s.maxBackoffSeconds}s` });
          // A dead letter of a dead letter would go nowhere: it waits (7 days) and is retried until filed.
          expect(deadLetter, s.name).not.toHaveProperty('dead_letter_policy');
        }
      });

      it('lets the Pub/Sub service agent publish each dead letter and acknowledge it on its source subscription', () => {
        const expected = SUBSCRIPTIONS.flatMap((s) => [
          `roles/pubsub.publisher serviceAccount:${PUBSUB_AGENT} on ${topicId(s.deadLetterTopic)}`,
          `roles/pubsub.subscriber serviceAccount:${PUBSUB_AGENT} on projects/${PROJECT}/subscriptions/${s.name}`,
        ]);
        expect(rendered.grants.sort()).toEqual(expected.sort());
      });
    });
  }

  it('creates no subscription before the services exist (enable_services = false), but every topic', () => {
    const rendered = renderPubSub({ deployFunctions: true, enableServices: false });
    expect(rendered.push).toEqual({});
    expect(rendered.topics.sort()).toEqual([...TOPIC_NAMES].sort());
  });

  it('declares Pub/Sub topics and subscriptions only where the rendering above reads them', () => {
    const pubsub = Object.entries({ root, ...modules }).flatMap(([name, module]) =>
      Object.keys(module.resources).filter((address) => /^google_pubsub_(topic|subscription|schema|lite_\w+)\./.test(address)).map((address) => `${name}: ${address}`),
    );
    expect(pubsub.sort()).toEqual(['push-subscription: google_pubsub_subscription.dead_letter', 'push-subscription: google_pubsub_subscription.push', 'push-subscription: google_pubsub_topic.dead_letter', 'root: google_pubsub_topic.event']);
    expect(Object.entries(root.modules).filter(([, body]) => body['source'] === './modules/push-subscription').map(([name]) => name)).toEqual(['subscription']);
  });

  it('matches the Pub/Sub plan the emulator setup applies (libs/events planPubSubTopology)', () => {
    const plan = planPubSubTopology({ projectId: PROJECT, baseUrls: Object.fromEntries(SERVICE_NAMES.map((s) => [s, runUrl(s)])) });
    const rendered = renderPubSub({ deployFunctions: false });
    expect(difference(plan.topics, rendered.topics, ['missing', 'extra'])).toEqual({ missing: [], extra: [] });
    expect(difference(plan.subscriptions.map((s) => s.name), [...Object.keys(rendered.push), ...Object.keys(rendered.deadLetter)], ['missing', 'extra'])).toEqual({ missing: [], extra: [] });
    for (const planned of plan.subscriptions.filter((s) => s.kind === 'push')) {
      const push = pushFields(rendered.push[planned.name]!);
      expect(planned.options, planned.name).toMatchObject({
        ackDeadlineSeconds: push.ack_deadline_seconds,
        enableMessageOrdering: push.enable_message_ordering,
        retryPolicy: { minimumBackoff: { seconds: parseInt(String(push.minimum_backoff), 10) }, maximumBackoff: { seconds: parseInt(String(push.maximum_backoff), 10) } },
        deadLetterPolicy: { deadLetterTopic: push.dead_letter_topic, maxDeliveryAttempts: push.max_delivery_attempts },
      });
      expect(planned.options.pushConfig?.pushEndpoint).toBe(push.push_endpoint);
    }
    for (const planned of plan.subscriptions.filter((s) => s.kind === 'dead-letter')) {
      const deadLetter = rendered.deadLetter[planned.name]!;
      expect(`${(planned.options.messageRetentionDuration as { seconds: number }).seconds}s`).toBe(deadLetter['message_retention_duration']);
      expect(planned.options.ackDeadlineSeconds).toBe(deadLetter['ack_deadline_seconds']);
      expect(planned.options.pushConfig?.pushEndpoint).toBe(block(deadLetter as Body, 'push_config')['push_endpoint']);
      const retry = block(deadLetter as Body, 'retry_policy');
      expect(planned.options.retryPolicy).toEqual({ minimumBackoff: { seconds: parseInt(String(retry['minimum_backoff']), 10) }, maximumBackoff: { seconds: parseInt(String(retry['maximum_backoff']), 10) } });
      expect(planned.options.deadLetterPolicy).toBeUndefined();
    }
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
      // The image's own CMD (node dist/apps/<app>/main.js) and the /healthz probes: the module's defaults.
      for (const override of ['command', 'args', 'health_path', 'count', 'for_each']) expect(body, `${name} ${override}`).not.toHaveProperty(override);
    }
    const m = modules['service']!;
    expect(m.variables['health_path']?.['default']).toBe('/healthz');
    expect(m.variables['command']?.['default']).toBeNull();
    expect(m.resources['google_service_account.this']?.['account_id']).toBe('svc-${var.name}');
    expect(block(m.resources['google_cloud_run_v2_service.this'], 'template')['service_account']).toBe('${google_service_account.this.email}');
    expect(Object.keys(root.locals['service_account_emails'] as Body).sort()).toEqual([...backendApps].sort());
    // local.services are the backends (databases, topics, push audiences); the storefront has its own file.
    const listed = [...String(root.locals['services']).matchAll(/"([a-z-]+)"/g)].map((m) => m[1]!);
    expect(listed.sort(), 'local.services').toEqual([...backendApps].sort());
    expect(apps).toContain(STOREFRONT);
  });

  it('gives every service and function each variable its config schema requires', async () => {
    const missing: Record<string, string[]> = {};
    for (const target of deployed()) {
      const { required } = envKeysOf(await configSchemaOf(target));
      const { env, secretEnv } = envOf(target.module);
      const provided = new Set([...Object.keys(env), ...Object.keys(secretEnv), ...SET_BY_CLOUD_RUN]);
      const lacking = [...required].filter((key) => !provided.has(key));
      if (lacking.length) missing[target.module] = lacking;
    }
    expect(missing).toEqual({});
  });

  it('gives every service and function, from Secret Manager, each secret its config schema reads (SMTP_URL to email, the VAPID keys to push, …)', async () => {
    const { generated, operator } = declaredSecrets();
    const secretVariables = new Set([...generated, ...operator].map(variableOfSecret));
    const missing: Record<string, string[]> = {};
    for (const target of deployed()) {
      const { all } = envKeysOf(await configSchemaOf(target));
      const { env, secretEnv } = envOf(target.module);
      const lacking = [...all].filter((key) => secretVariables.has(key) && !(key in secretEnv)).map((key) => (key in env ? `${key} (a plain value, not the secret)` : key));
      if (lacking.length) missing[target.module] = lacking;
    }
    expect(missing).toEqual({});
  });

  it('gives a service or function no variable, and above all no secret, its config schema does not read', async () => {
    const unread: Record<string, string[]> = {};
    for (const target of deployed()) {
      const { all } = envKeysOf(await configSchemaOf(target));
      const { env, secretEnv } = envOf(target.module);
      const extra = [...Object.keys(secretEnv).map((k) => `secret ${k}`), ...Object.keys(env)].filter((k) => !all.has(k.replace(/^secret /, '')));
      if (extra.length) unread[target.module] = extra;
    }
    expect(unread).toEqual({});
  });

  it('keeps no secret nobody reads, and names each secret after the variable it feeds', () => {
    const scope = rootScope({ deployFunctions: true });
    const { generated, operator } = declaredSecrets();
    const read = new Map<string, string[]>();
    const note = (id: string, reader: string) => read.set(id, [...(read.get(id) ?? []), reader]);
    for (const target of deployed()) {
      for (const [variable, ref] of Object.entries(envOf(target.module).secretEnv)) {
        const id = evaluate(ref, scope) as string;
        expect(variableOfSecret(id), `${target.module} ${variable} = secret ${id}`).toBe(variable);
        if (variable === 'DATABASE_URL') expect(id, `${target.module} connects as its own role`).toBe(`database-url-${target.app}`);
        note(id, target.module);
      }
    }
    for (const [variable, ref] of Object.entries(root.locals['migrate_secret_env'] as Body)) note(evaluate(ref, scope) as string, `migrate ${variable}`);
    const unread = [...generated, ...operator].filter((id) => !read.has(id));
    expect(unread, 'secrets no service, function or job reads').toEqual([]);
  });

  it.each([
    ['header mode (the defaults)', {}],
    [
      'jwt mode',
      {
        identity_mode: 'jwt',
        identity_jwt_issuer: 'https://accounts.shop.example/',
        identity_jwt_audience: 'shop-api',
        identity_jwt_jwks_url: 'https://accounts.shop.example/.well-known/jwks.json',
      },
    ],
  ])('starts every service and function in %s: the environment Terraform gives passes its config schema in production', async (_mode, identity) => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const placeholders: Record<string, string> = {
      DATABASE_URL: 'postgresql://shop_x:password@localhost/shop?host=/cloudsql/p:r:shop-pg',
      ADMIN_API_TOKEN: 'A'.repeat(48),
      SUPPORT_API_TOKEN: 'S'.repeat(48),
      STOREFRONT_SESSION_SECRET: 'K'.repeat(64),
      SMTP_URL: 'smtps://mailer:secret@smtp.example.com:465',
      VAPID_PUBLIC_KEY: publicKey.export({ format: 'der', type: 'spki' }).subarray(-65).toString('base64url'),
      VAPID_PRIVATE_KEY: Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64url'),
    };
    const scope = rootScope({ deployFunctions: true });
    Object.assign(scope['var'] as Record<string, unknown>, identity);
    const failures: Record<string, string[]> = {};
    for (const target of deployed()) {
      const { env, secretEnv } = envOf(target.module);
      const values: Record<string, string> = { PORT: '8080' };
      // modules/service leaves a null value unset (the jwt settings in header mode).
      for (const [key, value] of Object.entries(evaluate(env, scope) as Record<string, unknown>)) if (value !== null) values[key] = String(value);
      for (const key of Object.keys(secretEnv)) {
        if (!(key in placeholders)) throw new Error(`no placeholder for secret ${key}: add one to this test`);
        values[key] = placeholders[key]!;
      }
      const result = (await configSchemaOf(target)).safeParse(values);
      if (!result.success) failures[target.module] = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    }
    expect(failures).toEqual({});
  });

  it('lets each service and function publish only the topics its app produces (the contracts\' producers)', () => {
    expect(root.modules[STOREFRONT], 'the storefront publishes nothing').not.toHaveProperty('publishes');
    for (const target of backendDeployed()) {
      expect(root.modules[target.module]?.['publishes'], target.module).toBe(`\${local.published_topics["${target.app}"]}`);
    }
    for (const app of backendApps) {
      const fromTerraform = Object.entries(topology.topics).filter(([, t]) => t.producers.includes(app)).map(([topic]) => topic);
      expect(fromTerraform.sort(), app).toEqual(topicsPublishedBy(app as ServiceName).sort());
    }
    expect(normalized(root.locals['published_topics'])).toBe(
      '${{ for service in local.services : service => { for topic, definition in local.topology.topics : topic => google_pubsub_topic.event[topic].id if contains(definition.producers, service) } }}',
    );
    expect(modules['service']!.resources['google_pubsub_topic_iam_member.publish']).toMatchObject({ for_each: '${var.publishes}', topic: '${each.value}', role: 'roles/pubsub.publisher' });
    expect(TOPIC_NAMES.every((t) => TOPICS[t].producers.length > 0)).toBe(true);
    // Nothing grants publishing more widely: no project-level Pub/Sub role for any runtime identity.
    const projectPubSub = Object.entries({ root, ...modules }).flatMap(([name, module]) =>
      Object.entries(module.resources)
        .filter(([address, body]) => address.startsWith('google_project_iam') && /^roles\/pubsub\./.test(String(body['role'])))
        .map(([address]) => `${name}: ${address}`),
    );
    expect(projectPubSub).toEqual([]);
  });

  it("lets only the Pub/Sub push identity, the gateway, the support console's identity and the storefront invoke the services, and only push the functions", async () => {
    expect(root.locals['push_invoker']).toEqual({ 'pubsub-push': '${google_service_account.pubsub_push.member}' });
    expect(normalized(root.locals['service_invokers'])).toBe(
      '${merge(local.push_invoker, var.gateway_service_account == "" ? {} : { gateway = "serviceAccount:${var.gateway_service_account}" })}',
    );
    // The console (notification) reads the others' GET /admin/events for its journeys; notification needs no grant to itself.
    expect(normalized(root.locals['console_readable_invokers'])).toBe(
      '${merge(local.service_invokers, { console = "serviceAccount:${module.notification.service_account_email}" })}',
    );
    // The storefront calls exactly the services whose URLs its config reads (and Terraform gives it).
    const storefrontCalls = Object.keys(envOf(STOREFRONT).env).filter((key) => key.endsWith('_SERVICE_URL')).map((key) => key.slice(0, -'_SERVICE_URL'.length).toLowerCase());
    expect([...String(root.locals['storefront_calls']).matchAll(/"([a-z-]+)"/g)].map((m) => m[1]!).sort()).toEqual(storefrontCalls.sort());
    expect(normalized(root.locals['invokers'])).toBe(
      '${{ for service in local.services : service => merge(service == "notification" ? local.service_invokers : local.console_readable_invokers, contains(local.storefront_calls, service) ? { storefront = module.storefront.service_account_member } : {}) }}',
    );
    for (const [name, body] of backendModules()) expect(body['invoker_members'], name).toBe(`\${local.invokers["${name}"]}`);
    // Shoppers reach the storefront from anywhere (var.public); no identity is granted it by name.
    expect(root.modules[STOREFRONT]).not.toHaveProperty('invoker_members');
    for (const [name, body] of functionModules()) expect(body['invoker_members'], name).toBe('${local.push_invoker}');
    const invoker = modules['service']!.resources['google_cloud_run_v2_service_iam_member.invoker'];
    expect(invoker).toMatchObject({ role: 'roles/run.invoker', member: '${each.value}' });
    const grantsInvoker = Object.entries({ root, ...modules }).flatMap(([name, module]) =>
      Object.entries(module.resources).filter(([, body]) => body['role'] === 'roles/run.invoker').map(([address]) => `${name}: ${address}`),
    );
    expect(grantsInvoker).toEqual(['service: google_cloud_run_v2_service_iam_member.invoker']);
    // No policy or binding resource could grant it behind the members' back either.
    const authoritative = Object.values({ root, ...modules }).flatMap((module) => Object.keys(module.resources).filter((a) => /^google_cloud_run_v2_\w+_iam_(policy|binding)\./.test(a)));
    expect(authoritative).toEqual([]);
  });

  it('sends all egress of a service that calls other services through the VPC, so its calls count as internal at their ingress', () => {
    // A service calls another when Terraform gives it that service's URL (*_SERVICE_URL); the others need no VPC.
    const callsOthers = (name: string) => Object.keys(envOf(name).env).some((key) => key.endsWith('_SERVICE_URL'));
    const callers = serviceModules().filter(([name]) => callsOthers(name)).map(([name]) => name);
    expect(callers).toContain('notification');
    for (const [name, body] of serviceModuleCalls()) {
      expect(body['vpc_egress'], name).toBe(callsOthers(name) ? '${local.services_vpc_egress}' : undefined);
    }
    expect(root.locals['services_vpc_egress']).toEqual({ network: '${google_compute_network.services.id}', subnetwork: '${google_compute_subnetwork.services.id}' });
    // Cloud Run counts a call from another Cloud Run service as internal only through a subnet with Private Google Access.
    expect(root.resources['google_compute_subnetwork.services']).toMatchObject({ network: '${google_compute_network.services.id}', private_ip_google_access: true });
    expect(root.resources['google_compute_network.services']).toMatchObject({ auto_create_subnetworks: false });
    // All traffic (run.app URLs are public addresses); the module leaves a service without vpc_egress off the VPC.
    const vpcAccess = (block(modules['service']!.resources['google_cloud_run_v2_service.this'], 'template')['dynamic'] as Record<string, Body[]>)['vpc_access']![0]!;
    expect(normalized(vpcAccess['for_each'])).toBe('${var.vpc_egress == null ? [] : [var.vpc_egress]}');
    const content = block(vpcAccess, 'content');
    expect(content['egress']).toBe('ALL_TRAFFIC');
    expect(block(content, 'network_interfaces')).toEqual({ network: '${vpc_access.value.network}', subnetwork: '${vpc_access.value.subnetwork}' });
    expect(modules['service']!.variables['vpc_egress']?.['default']).toBeNull();
    // All egress includes the /cloudsql connection to the instance's public address: Cloud NAT lets it out.
    const nat = root.resources['google_compute_router_nat.services']!;
    expect(nat).toMatchObject({ router: '${google_compute_router.services.name}', source_subnetwork_ip_ranges_to_nat: 'LIST_OF_SUBNETWORKS' });
    expect(block(nat, 'subnetwork')).toEqual({ name: '${google_compute_subnetwork.services.id}', source_ip_ranges_to_nat: ['ALL_IP_RANGES'] });
    expect(String(root.locals['apis'])).toContain('compute.googleapis.com');
    // Terraform's own identity creates them.
    expect(normalized(modules['github-deploy']!.locals['terraform_roles'])).toContain('"roles/compute.networkAdmin"');
  });

  it('verifies the audience Pub/Sub signs for, and accepts it at Cloud Run', () => {
    const scope = rootScope({ deployFunctions: true });
    const audiences = new Set<unknown>();
    for (const target of backendDeployed()) {
      const { env } = envOf(target.module);
      expect(env['PUBSUB_PUSH_AUDIENCE'], target.module).toBe(`\${local.push_audience["${target.app}"]}`);
      expect(env['PUBSUB_PUSH_SERVICE_ACCOUNT'], target.module).toBe('${google_service_account.pubsub_push.email}');
      expect(env['EVENT_TRANSPORT'], target.module).toBe('pubsub');
      expect(env['NODE_ENV'], target.module).toBe('production');
      if (target.kind === 'service') audiences.add(audienceOf(target.module, scope));
    }
    // One audience per service, none shared: a token for one service is refused by every other.
    expect(audiences.size).toBe(backendApps.length);
    expect(envOf(STOREFRONT).env, 'the storefront takes no Pub/Sub push').not.toHaveProperty('PUBSUB_PUSH_AUDIENCE');
    const service = modules['service']!.resources['google_cloud_run_v2_service.this']!;
    expect(service['custom_audiences']).toBe('${compact([lookup(var.env, "PUBSUB_PUSH_AUDIENCE", "")])}');
  });

  it('runs each service with a /readyz startup probe and a /healthz liveness probe, bounded scaling and concurrency, and the Cloud SQL socket', () => {
    const service = modules['service']!.resources['google_cloud_run_v2_service.this']!;
    const template = block(service, 'template');
    expect(template['max_instance_request_concurrency']).toBe('${var.concurrency}');
    expect(block(template, 'scaling')['max_instance_count']).toBe('${var.max_instances}');
    const container = block(template, 'containers');
    expect(container).toMatchObject({ image: '${var.image}', command: '${var.command}', args: '${var.args}' });
    // The probes: HTTP on health_path (/healthz for a service); for a function (null) TCP, and no liveness probe.
    const startup = block(container, 'startup_probe');
    const dynamicOf = (body: Body, name: string) => ((body['dynamic'] as Record<string, Body[]>)[name] ?? [])[0]!;
    expect(block(dynamicOf(startup, 'http_get'), 'content')).toEqual({ path: '${http_get.value}' });
    const liveness = dynamicOf(container, 'liveness_probe');
    expect(block(block(liveness, 'content'), 'http_get')).toEqual({ path: '${liveness_probe.value}' });
    expect(normalized(liveness['for_each'])).toBe('${var.health_path == null ? [] : [var.health_path]}');
    // Ready only once the database and the transport answer: deploy.yml relies on it, having no way in (ingress).
    expect(normalized(dynamicOf(startup, 'http_get')['for_each'])).toBe('${var.health_path == null ? [] : [var.ready_path]}');
    expect(modules['service']!.variables['ready_path']?.['default']).toBe('/readyz');
    expect(modules['service']!.variables['health_path']?.['default']).toBe('/healthz');
    for (const [name, body] of serviceModules()) expect(body, name).not.toHaveProperty('ready_path');
    for (const [name, body] of serviceModules()) expect(body, name).not.toHaveProperty('health_path');
    expect(normalized(dynamicOf(startup, 'tcp_socket')['for_each'])).toBe('${var.health_path == null ? [8080] : []}');
    // The Cloud SQL socket for every service with a database; none for the storefront, which has none.
    const volumes = dynamicOf(template, 'volumes');
    expect(normalized(volumes['for_each'])).toBe('${var.cloud_sql_connection_name == null ? [] : [var.cloud_sql_connection_name]}');
    expect(block(volumes, 'content')).toMatchObject({ name: 'cloudsql' });
    expect(block(block(volumes, 'content'), 'cloud_sql_instance')['instances']).toEqual(['${volumes.value}']);
    const mounts = dynamicOf(container, 'volume_mounts');
    expect(normalized(mounts['for_each'])).toBe('${var.cloud_sql_connection_name == null ? [] : ["cloudsql"]}');
    expect(block(mounts, 'content')).toEqual({ name: '${volume_mounts.value}', mount_path: '/cloudsql' });
    expect(normalized(modules['service']!.resources['google_project_iam_member.cloudsql_client']!['count'])).toBe('${var.cloud_sql_connection_name == null ? 0 : 1}');
    for (const [name, body] of backendModules()) expect(body['cloud_sql_connection_name'], name).toBe('${google_sql_database_instance.main.connection_name}');
    expect(root.modules[STOREFRONT]).not.toHaveProperty('cloud_sql_connection_name');
    expect(block(service, 'lifecycle')['ignore_changes']).toContain('${template[0].containers[0].image}');
  });
  it('keeps every service working between requests: at least one instance, CPU always allocated, and the reason beside it', async () => {
    // The relay, the sweepers and the retries run inside the instances (DESIGN.md, self-healing checkout): scaled
    // to zero, or with CPU throttled after each response, they stop until a request comes.
    const service = modules['service']!.resources['google_cloud_run_v2_service.this']!;
    const template = block(service, 'template');
    expect(block(block(template, 'containers'), 'resources')['cpu_idle']).toBe(false);
    expect(normalized(block(template, 'scaling')['min_instance_count'])).toBe('${var.background_work == null ? var.min_instances : max(var.min_instances, 1)}');
    expect(normalized(service['description'])).toBe(
      '${var.background_work == null ? "The ${var.name} service." : "The ${var.name} service. Between requests it ${var.background_work}."}',
    );
    const reasons = root.locals['background_work'] as Record<string, string>;
    expect(Object.keys(reasons).sort()).toEqual([...backendApps].sort());
    for (const [name, body] of backendModules()) {
      expect(body['background_work'], name).toBe(`\${local.background_work["${name}"]}`);
      expect(reasons[name], name).toMatch(/^relays its outbox\b/);
    }
    // What scaling { min_instance_count } comes to, with the defaults and with production's settings.
    const defaults = Object.fromEntries(Object.entries(root.variables).map(([name, v]) => [name, v['default']]));
    const production = { ...defaults, ...(await parse('production.auto.tfvars', await readFile(join(TERRAFORM_DIR, 'production.auto.tfvars'), 'utf8'))) };
    for (const settings of [defaults, production]) {
      for (const [name, body] of backendModules()) {
        expect(expression(body['min_instances']), name).toBe('var.service_min_instances');
        expect(Number(settings['service_min_instances']), name).toBeGreaterThanOrEqual(1);
      }
    }
    // The storefront only answers shoppers' requests: it may scale to zero.
    expect(root.modules[STOREFRONT]).not.toHaveProperty('background_work');
    expect(expression(root.modules[STOREFRONT]!['min_instances'])).toBe('var.storefront_min_instances');
    // A function only answers the events Pub/Sub pushes to it: it may scale to zero.
    for (const [name, body] of functionModules()) expect(body, name).not.toHaveProperty('background_work');
  });

  it('keeps open cart streams to at most half of a cart instance\'s request slots, the rest for requests and push deliveries', async () => {
    expect(envOf('cart').env['CART_STREAMS_PER_INSTANCE']).toBe('${var.cart_streams_per_instance}');
    const validation = block(root.variables['cart_streams_per_instance'], 'validation');
    expect(normalized(validation['condition'])).toBe('${var.cart_streams_per_instance >= 1 && var.cart_streams_per_instance <= var.service_concurrency / 2}');
    const defaults = Object.fromEntries(Object.entries(root.variables).map(([name, v]) => [name, v['default']]));
    const production = { ...defaults, ...(await parse('production.auto.tfvars', await readFile(join(TERRAFORM_DIR, 'production.auto.tfvars'), 'utf8'))) };
    for (const settings of [defaults, production]) {
      expect(Number(settings['cart_streams_per_instance'])).toBeLessThanOrEqual(Number(settings['service_concurrency']) / 2);
    }
  });
});

describe('the Cloud Run functions in Terraform (var.deploy_functions)', () => {
  const withFunction = () => apps.filter(hasFunction);

  it('exists for every app with a functions-framework entry point, behind deploy_functions', () => {
    expect(withFunction().sort()).toEqual(['email', 'push']);
    expect(Object.keys(root.locals['functions'] as Body).sort()).toEqual(withFunction().sort());
    expect(functionModules().map(([name]) => name).sort()).toEqual(withFunction().map((app) => `${app}${FUNCTION_SUFFIX}`).sort());
    expect(root.variables['deploy_functions']).toMatchObject({ type: '${bool}', default: false });
    for (const app of withFunction()) {
      const body = root.modules[`${app}${FUNCTION_SUFFIX}`]!;
      expect(body, app).toMatchObject({
        count: '${var.deploy_functions ? 1 : 0}',
        name: `${app}-function`,
        deploy: '${var.enable_services}',
        // The app's own image: the build bundles function.js beside main.js (scripts/deploy/package-app.ts).
        // Created from the image the service runs then (a commit that only enables the functions builds no image).
        image: `\${coalesce(module.${app}.image, "\${local.image_repository}/${app}:\${var.image_tag}")}`,
        command: ['node'],
        args: `\${local.function_args["${app}"]}`,
        health_path: null,
      });
    }
  });

  it('runs each app\'s own entry point of apps/<app>/src/function.ts with the Functions Framework, and takes over the subscription that entry point consumes', async () => {
    const functions = root.locals['functions'] as Record<string, { target: string; subscription: string }>;
    for (const app of withFunction()) {
      const source = await readFile(join(REPO_ROOT, 'apps', app, 'src/function.ts'), 'utf8');
      const registered = [...source.matchAll(/cloudEvent\(\s*'([\w-]+)'/g)].map((m) => m[1]);
      expect(registered, `apps/${app}/src/function.ts`).toEqual([functions[app]!.target]);
      // The subscription the entry point's consumer registers its handler for (the `SPEC` of its function module).
      const functionDir = join(REPO_ROOT, 'apps', app, 'src/functions');
      const specs: string[] = [];
      for (const file of (await readdir(functionDir)).filter((f) => f.endsWith('.function.ts'))) {
        for (const m of (await readFile(join(functionDir, file), 'utf8')).matchAll(/subscriptionsOf\('([\w-]+)'\)\.find\(\(s\) => s\.topic === '([\w.-]+)'\)/g)) {
          specs.push(subscriptionName(m[1] as ServiceName, m[2] as TopicName));
        }
      }
      expect(specs, `the subscription apps/${app}/src/functions consumes`).toEqual([functions[app]!.subscription]);
      expect(SUBSCRIPTIONS.find((s) => s.name === functions[app]!.subscription)?.service).toBe(app);
      expect(functionArgs(root, app)).toEqual([FUNCTIONS_FRAMEWORK_MAIN, `--target=${functions[app]!.target}`, '--signature-type=cloudevent', `--source=${functionBundlePath(app)}`]);
      expect(existsSync(join(REPO_ROOT, 'node_modules', FUNCTIONS_FRAMEWORK_MAIN.replace(/^node_modules\//, ''))), FUNCTIONS_FRAMEWORK_MAIN).toBe(true);
    }
  });

  it('lets the deployer roll out the functions: it may act as their service accounts', () => {
    expect(normalized(root.modules['github']?.['runtime_service_accounts'])).toBe(
      '${merge(local.service_account_emails, local.function_service_account_emails, { migrate = google_service_account.migrate.email })}',
    );
    const emails = normalized(root.locals['function_service_account_emails']);
    for (const app of withFunction()) expect(emails).toContain(`{ for m in module.${app}_function : "${app}-function" => m.service_account_email }`);
  });

  it('counts the functions\' connections in the database\'s limit', () => {
    const validation = block(root.variables['db_max_connections'], 'validation');
    expect(normalized(validation['condition'])).toBe('${var.db_max_connections >= (var.deploy_functions ? 10 : 8) * var.service_max_instances * (var.db_pool_max + 1) + 10}');
    expect(8 + withFunction().length).toBe(10);
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
    for (const app of backendApps) expected[serviceUrlVariable(app)] = `\${google_secret_manager_secret.generated["database-url-${app}"].secret_id}`;
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
    expect(provider['attribute_condition']).toBe('${local.repository_condition}');
    expect(m.locals['repository_condition']).toContain('assertion.repository == \\"${var.github_repository}\\"');
    expect(block(provider, 'oidc')['issuer_uri']).toBe('https://token.actions.githubusercontent.com');
    const principals = m.locals['workflow_principal'] as Body;
    expect(principals['deployer']).toContain('/.github/workflows/deploy.yml@${var.deploy_ref}');
    expect(principals['terraform']).toContain('/.github/workflows/terraform.yml@${var.deploy_ref}');
    expect(m.resources['google_service_account_iam_member.deployer_federation']?.['member']).toBe('${local.workflow_principal.deployer}');
    expect(m.resources['google_service_account_iam_member.terraform_federation']?.['member']).toBe('${local.workflow_principal.terraform}');
  });
});

describe('Identity in Terraform (DESIGN.md, Identity in production)', () => {
  const REPO = 'acme/shop-backend';
  const INGRESS_CHOICES = '["INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"]';

  it('never opens a service or function to the internet, only the storefront: ingress internal, or internal and the load balancer', async () => {
    const service = modules['service']!;
    expect(service.resources['google_cloud_run_v2_service.this']?.['ingress']).toBe('${var.public ? "INGRESS_TRAFFIC_ALL" : var.ingress}');
    expect(service.variables['ingress']?.['default']).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
    expect(normalized(block(service.variables['ingress'], 'validation')['condition'])).toBe(`\${contains(${INGRESS_CHOICES}, var.ingress)}`);
    expect(root.variables['service_ingress']?.['default']).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(normalized(block(root.variables['service_ingress'], 'validation')['condition'])).toBe(`\${contains(${INGRESS_CHOICES}, var.service_ingress)}`);
    for (const [name, body] of backendModules()) expect(body['ingress'], name).toBe('${var.service_ingress}');
    for (const [name, body] of backendModules()) expect(body, name).not.toHaveProperty('public');
    // The storefront: the shoppers' way in (var.public; its ingress argument is then not read).
    expect(root.modules[STOREFRONT]).toMatchObject({ public: true });
    expect(root.modules[STOREFRONT]).not.toHaveProperty('ingress');
    // The functions take Pub/Sub push only, which is internal: the module's default.
    for (const [name, body] of functionModules()) expect(body, name).not.toHaveProperty('ingress');
    const service_main = join(TERRAFORM_DIR, 'modules', 'service', 'main.tf');
    for (const file of await terraformFiles()) if (file !== service_main) expect(await readFile(file, 'utf8'), file).not.toContain('INGRESS_TRAFFIC_ALL');
  });

  it('passes IDENTITY_MODE and the jwt settings to every service, leaving unset ones out', () => {
    const expected = {
      IDENTITY_MODE: '${var.identity_mode}',
      IDENTITY_JWT_ISSUER: '${var.identity_jwt_issuer}',
      IDENTITY_JWT_AUDIENCE: '${var.identity_jwt_audience}',
      IDENTITY_JWT_JWKS_URL: '${var.identity_jwt_jwks_url}',
      IDENTITY_JWT_CLAIM: '${var.identity_jwt_claim}',
    };
    for (const [name] of backendModules()) expect(envOf(name).env, name).toMatchObject(expected);
    // The storefront verifies no token itself: it forwards the shopper's, and reads only the mode and the claim.
    expect(envOf(STOREFRONT).env).toMatchObject({ IDENTITY_MODE: '${var.identity_mode}', IDENTITY_JWT_CLAIM: '${var.identity_jwt_claim}' });
    // Choosing a customer is not authentication: the storefront offers it in production only when told to.
    expect(envOf(STOREFRONT).env['STOREFRONT_CUSTOMER_PICKER']).toBe('${var.storefront_demo_sign_in}');
    // Public and in header mode, anyone could sign in as anyone: only as an explicit demonstration.
    expect(normalized(block(root.variables['storefront_demo_sign_in'], 'validation')['condition'])).toBe('${var.storefront_demo_sign_in || var.identity_mode == "jwt"}');
    expect(root.variables['storefront_demo_sign_in']?.['default']).toBe(false);
    expect(root.variables['identity_mode']?.['default']).toBe('header');
    expect(root.variables['identity_jwt_claim']?.['default']).toBe('customer_id');
    for (const name of ['identity_jwt_issuer', 'identity_jwt_audience', 'identity_jwt_jwks_url']) expect(root.variables[name]?.['default'], name).toBeNull();
    expect(normalized(block(root.variables['identity_jwt_issuer'], 'validation')['condition'])).toBe('${var.identity_mode != "jwt" || var.identity_jwt_issuer != null}');
    expect(normalized(block(root.variables['identity_jwt_audience'], 'validation')['condition'])).toBe('${var.identity_mode != "jwt" || var.identity_jwt_audience != null}');
    expect(normalized(block(root.variables['identity_jwt_jwks_url'], 'validation')['condition'])).toBe('${var.identity_mode != "jwt" || can(regex("^https://", var.identity_jwt_jwks_url))}');
    // A null value is not passed to the container: header mode sets no jwt variable.
    const container = block(block(modules['service']!.resources['google_cloud_run_v2_service.this'], 'template'), 'containers');
    const plainEnv = (container['dynamic'] as Record<string, Body[]>)['env']![0]!;
    expect(normalized(plainEnv['for_each'])).toBe('${{ for name, value in var.env : name => value if value != null }}');
  });

  describe('the plan identity (github-terraform-plan)', () => {
    const m = () => modules['github-deploy']!;

    /** The plan provider's attribute condition, as Google would see it for `repositoryId` (pinned expressions). */
    function planCondition(repositoryId: string): string {
      expect(normalized(m().locals['repository_condition'])).toBe(
        '${var.github_repository_id == "" ? "assertion.repository == \\"${var.github_repository}\\"" : ' +
          '"assertion.repository == \\"${var.github_repository}\\" && assertion.repository_id == \\"${var.github_repository_id}\\""}',
      );
      const repositoryCondition = repositoryId === '' ? `assertion.repository == "${REPO}"` : `assertion.repository == "${REPO}" && assertion.repository_id == "${repositoryId}"`;
      const text = normalized(m().resources['google_iam_workload_identity_pool_provider.github_plan']!['attribute_condition']);
      const list = /^\$\{join\(" && ", \[ (.*?),? \]\)\}$/.exec(text);
      if (!list) throw new Error(`the plan provider's condition is not the join this check reads: ${text}`);
      return list[1]!
        .split(/, (?=local\.|")/)
        .map((item) => (item === 'local.repository_condition' ? repositoryCondition : (evaluate(JSON.parse(item), { var: { github_repository: REPO } }) as string)))
        .join(' && ');
    }

    /** Google's verdict on a GitHub token's claims, for the CEL this configuration writes (== and startsWith joined by &&). */
    function admits(condition: string, claims: Record<string, string>): boolean {
      return condition.split(' && ').every((clause) => {
        const equals = /^assertion\.(\w+) == "([^"]*)"$/.exec(clause);
        if (equals) return claims[equals[1]!] === equals[2];
        const prefix = /^assertion\.(\w+)\.startsWith\("([^"]*)"\)$/.exec(clause);
        if (prefix) return claims[prefix[1]!]?.startsWith(prefix[2]!) ?? false;
        throw new Error(`a clause this check cannot evaluate: ${clause}`);
      });
    }

    const pullRequest = {
      repository: REPO,
      repository_id: '42',
      event_name: 'pull_request',
      ref: 'refs/pull/7/merge',
      workflow_ref: `${REPO}/.github/workflows/terraform.yml@refs/pull/7/merge`,
    };

    it.each(['', '42'])('admits only terraform.yml on a pull request of this repository (repository id "%s")', (repositoryId) => {
      const condition = planCondition(repositoryId);
      expect(admits(condition, pullRequest)).toBe(true);
      const refused: Record<string, Record<string, string>> = {
        'terraform.yml on a push to main': { ...pullRequest, event_name: 'push', ref: 'refs/heads/main', workflow_ref: `${REPO}/.github/workflows/terraform.yml@refs/heads/main` },
        'terraform.yml run by hand': { ...pullRequest, event_name: 'workflow_dispatch', ref: 'refs/heads/feature' },
        'terraform.yml on pull_request_target': { ...pullRequest, event_name: 'pull_request_target' },
        'another workflow on a pull request': { ...pullRequest, workflow_ref: `${REPO}/.github/workflows/ci.yml@refs/pull/7/merge` },
        'a workflow named like it': { ...pullRequest, workflow_ref: `${REPO}/.github/workflows/terraform.yml.evil.yml@refs/pull/7/merge` },
        'terraform.yml of another repository': { ...pullRequest, repository: 'mallory/shop-backend', workflow_ref: 'mallory/shop-backend/.github/workflows/terraform.yml@refs/pull/7/merge' },
      };
      if (repositoryId) refused['a re-created namesake repository'] = { ...pullRequest, repository_id: '43' };
      for (const [label, claims] of Object.entries(refused)) expect(admits(condition, claims), label).toBe(false);
    });

    it('lives in a pool of its own, which only the plan account trusts, and the plan account trusts nothing else', () => {
      const provider = m().resources['google_iam_workload_identity_pool_provider.github_plan']!;
      expect(provider['workload_identity_pool_id']).toBe('${google_iam_workload_identity_pool.github_plan.workload_identity_pool_id}');
      expect(block(provider, 'oidc')['issuer_uri']).toBe('https://token.actions.githubusercontent.com');
      expect(m().resources['google_iam_workload_identity_pool.github_plan']?.['workload_identity_pool_id']).not.toBe(
        m().resources['google_iam_workload_identity_pool.github']?.['workload_identity_pool_id'],
      );
      expect(m().locals['plan_principal']).toBe('principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github_plan.name}/attribute.repository/${var.github_repository}');
      const federation = Object.entries(m().resources).filter(([, body]) => body['role'] === 'roles/iam.workloadIdentityUser');
      const trusting = (principal: string) => federation.filter(([, body]) => body['member'] === `\${${principal}}`).map(([address]) => address);
      expect(trusting('local.plan_principal')).toEqual(['google_service_account_iam_member.terraform_plan_federation']);
      expect(m().resources['google_service_account_iam_member.terraform_plan_federation']?.['service_account_id']).toBe('${google_service_account.terraform_plan.name}');
      expect(federation.map(([, body]) => body['member']).sort()).toEqual(['${local.plan_principal}', '${local.workflow_principal.deployer}', '${local.workflow_principal.terraform}']);
    });

    it('reads configuration, not secrets: no project-wide secret access, and only the secrets whose values its state holds', () => {
      const roles = [...String(m().locals['plan_roles']).matchAll(/"(roles\/[\w.]+)"/g)].map((r) => r[1]).sort();
      expect(roles).toEqual(['roles/iam.securityReviewer', 'roles/secretmanager.viewer', 'roles/viewer']);
      expect(m().resources['google_project_iam_member.terraform_plan']).toMatchObject({ for_each: '${local.plan_roles}', member: '${google_service_account.terraform_plan.member}' });
      // Nor does any other grant give an identity secretAccessor on the whole project.
      const projectWide = Object.entries({ root, ...modules }).flatMap(([name, module]) =>
        Object.entries(module.resources)
          .filter(([address, body]) => address.startsWith('google_project_iam') && body['role'] === 'roles/secretmanager.secretAccessor')
          .map(([address]) => `${name}: ${address}`),
      );
      expect(projectWide).toEqual([]);
      const perSecret = root.resources['google_secret_manager_secret_iam_member.plan_refreshes_generated']!;
      expect(perSecret).toMatchObject({
        for_each: '${local.generated_secret_ids}',
        secret_id: '${google_secret_manager_secret.generated[each.key].secret_id}',
        role: 'roles/secretmanager.secretAccessor',
        member: '${module.github.terraform_plan_member}',
      });
      expect(m().outputs['terraform_plan_member']?.['value']).toBe('${google_service_account.terraform_plan.member}');
    });

    it('may read the state but not write or lock it', () => {
      const grants = Object.entries(m().resources).filter(([address]) => address.startsWith('google_storage_bucket_iam'));
      expect(Object.fromEntries(grants.map(([address, body]) => [address, { role: body['role'], member: body['member'], bucket: body['bucket'] }]))).toEqual({
        'google_storage_bucket_iam_member.state': { role: 'roles/storage.objectAdmin', member: '${google_service_account.terraform.member}', bucket: '${var.state_bucket}' },
        'google_storage_bucket_iam_member.plan_reads_state': { role: 'roles/storage.objectViewer', member: '${google_service_account.terraform_plan.member}', bucket: '${var.state_bucket}' },
      });
    });

    it('is handed to terraform.yml through its own provider variable', () => {
      const variables = root.outputs['github_variables']?.['value'] as Body;
      expect(variables['GCP_PLAN_WORKLOAD_IDENTITY']).toBe('${module.github.plan_workload_identity_provider}');
      expect(m().outputs['plan_workload_identity_provider']?.['value']).toBe('${google_iam_workload_identity_pool_provider.github_plan.name}');
    });
  });
});
