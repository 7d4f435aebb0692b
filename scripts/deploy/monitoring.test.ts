import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES, SUBSCRIPTIONS } from '@shop/contracts';
import { deadLetterSubscriptionOf } from '@shop/events';
import { evaluate, loadTerraformModule, normalized, TERRAFORM_DIR, type Body, type Scope, type TerraformModule } from './terraform-config';
import { TOPOLOGY_FILE, type TerraformTopology } from './terraform-topology';

// terraform/monitoring.tf and its dashboard, against the contracts' topology and the services of DESIGN.md.

const PROJECT = 'shop-production';
const POLICY = 'google_monitoring_alert_policy';

/** The services' own metrics (DESIGN.md, Seeing inside), as the Cloud Monitoring exporter names them. */
const WORKLOAD_METRICS = [
  'http_server_request_duration_seconds',
  'events_published_total',
  'events_consumed_total',
  'event_delivery_lag_seconds',
  'dead_letters',
  'checkout_duration_seconds',
  'reservations',
  'reservations_expired_total',
].map((name) => `workload.googleapis.com/${name}`);
/** The Google Cloud metrics the policies and the dashboard may read. */
const CLOUD_METRICS = [
  'pubsub.googleapis.com/subscription/oldest_unacked_message_age',
  'pubsub.googleapis.com/subscription/dead_letter_message_count',
  'run.googleapis.com/request_count',
  'cloudsql.googleapis.com/database/cpu/utilization',
  'cloudsql.googleapis.com/database/postgresql/num_backends',
];

let root: TerraformModule;
let topology: TerraformTopology;

beforeAll(async () => {
  root = await loadTerraformModule(TERRAFORM_DIR);
  topology = JSON.parse(await readFile(TOPOLOGY_FILE, 'utf8')) as TerraformTopology;
});

/** Nested blocks as hcl2json renders them: always a list. */
function blocks(body: Body | undefined, name: string): Body[] {
  const value = body?.[name];
  if (!Array.isArray(value)) throw new Error(`expected ${name} blocks`);
  return value as Body[];
}

/**
 * The values monitoring.tf's references resolve to for one choice of the feature variables: variable
 * defaults with project_id set, and its locals modelled here (their expressions pinned by a test below).
 */
function scopeFor(options: { deployFunctions: boolean; enableServices: boolean }): Scope {
  const variables: Record<string, unknown> = Object.fromEntries(Object.entries(root.variables).filter(([, v]) => 'default' in v).map(([name, v]) => [name, v['default']]));
  Object.assign(variables, { project_id: PROJECT, deploy_functions: options.deployFunctions, enable_services: options.enableServices });
  const subscriptions = options.enableServices ? topology.subscriptions : {};
  const functions = root.locals['functions'] as Record<string, unknown>;
  const services = [...SERVICE_NAMES];
  const instance = root.resources['google_sql_database_instance.main']!['name'] as string;
  return {
    var: variables,
    google_sql_database_instance: { main: { name: instance } },
    local: {
      subscriptions,
      services,
      run_services: options.enableServices ? [...services, 'storefront', ...(options.deployFunctions ? Object.keys(functions).map((app) => `${app}-function`) : [])] : [],
      dead_letter_subscriptions: Object.fromEntries(Object.entries(subscriptions).map(([name, s]) => [s.dead_letter_subscription, name])),
      latency_services: options.enableServices ? services : [],
      db_connections_alert_threshold: Math.floor((variables['db_max_connections'] as number) * (variables['alert_db_connections_fraction'] as number)),
      cloud_sql_database_id: `${PROJECT}:${instance}`,
    },
  };
}

interface RenderedCondition {
  filter: string;
  denominator?: string;
  threshold: unknown;
  aggregations: Body[];
}

interface RenderedPolicy {
  displayName: string;
  notificationChannels: unknown;
  conditions: RenderedCondition[];
}

/** Every instance of one alert policy resource, by for_each key (`''` for a single one), its conditions evaluated. */
function renderPolicies(name: string, scope: Scope): Record<string, RenderedPolicy> {
  const body = root.resources[`${POLICY}.${name}`];
  if (!body) throw new Error(`monitoring.tf has no ${POLICY}.${name}`);
  const instances: [string, unknown][] =
    body['for_each'] === undefined
      ? [['', undefined]]
      : (() => {
          const set = evaluate(body['for_each'], scope);
          return Array.isArray(set) ? set.map((key: string): [string, unknown] => [key, key]) : Object.entries(set as Record<string, unknown>);
        })();
  return Object.fromEntries(
    instances.map(([key, value]) => {
      const at: Scope = { ...scope, each: { key, value } };
      const conditions = blocks(body, 'conditions').map((condition) => {
        const threshold = blocks(condition, 'condition_threshold')[0]!;
        return {
          filter: evaluate(threshold['filter'], at) as string,
          ...(threshold['denominator_filter'] ? { denominator: evaluate(threshold['denominator_filter'], at) as string } : {}),
          threshold: evaluate(threshold['threshold_value'], at),
          aggregations: evaluate(threshold['aggregations'], at) as Body[],
        };
      });
      return [key, { displayName: evaluate(body['display_name'], at) as string, notificationChannels: body['notification_channels'], conditions }];
    }),
  );
}

/** `metric.type = "…"` of a filter. */
function metricOf(filter: string): string | undefined {
  return /metric\.type = "([^"]+)"/.exec(filter)?.[1];
}

const FEATURES = [
  { deployFunctions: false, enableServices: true },
  { deployFunctions: true, enableServices: true },
];

describe('the alert policies in Terraform (monitoring.tf)', () => {
  it('takes the values the checks below model for its locals from the expressions pinned here', () => {
    expect(normalized(root.locals['run_services'])).toBe(
      '${var.enable_services ? setunion(local.services, [module.storefront.name], var.deploy_functions ? [for app in keys(local.functions) : "${app}-function"] : []) : toset([])}',
    );
    expect(normalized(root.locals['dead_letter_subscriptions'])).toBe('${{ for name, s in local.subscriptions : s.dead_letter_subscription => name }}');
    expect(normalized(root.locals['latency_services'])).toBe('${var.enable_services ? local.services : toset([])}');
    expect(normalized(root.locals['db_connections_alert_threshold'])).toBe('${floor(var.db_max_connections * var.alert_db_connections_fraction)}');
    expect(normalized(root.locals['cloud_sql_database_id'])).toBe('${var.project_id}:${google_sql_database_instance.main.name}');
  });

  describe.each(FEATURES)('rendered with deploy_functions = $deployFunctions', (features) => {
    const scope = () => scopeFor(features);

    it('alerts on the age of the oldest unacknowledged message of every subscription of the contracts, and of no other', () => {
      const policies = renderPolicies('oldest_unacked_message', scope());
      expect(Object.keys(policies).sort()).toEqual(SUBSCRIPTIONS.map((s) => s.name).sort());
      for (const [name, policy] of Object.entries(policies)) {
        expect(policy.conditions).toHaveLength(1);
        const [condition] = policy.conditions;
        expect(condition!.filter).toContain(`resource.label.subscription_id = "${name}"`);
        expect(metricOf(condition!.filter)).toBe('pubsub.googleapis.com/subscription/oldest_unacked_message_age');
        expect(condition!.threshold).toBe(600);
      }
    });

    it('alerts on every dead-letter subscription: messages Pub/Sub dead-lettered from its source, and dead letters the service does not file', () => {
      const policies = renderPolicies('dead_letters', scope());
      expect(Object.keys(policies).sort()).toEqual(SUBSCRIPTIONS.map((s) => deadLetterSubscriptionOf(s)).sort());
      for (const s of SUBSCRIPTIONS) {
        const filters = policies[deadLetterSubscriptionOf(s)]!.conditions.map((c) => c.filter);
        expect(filters).toEqual([
          expect.stringContaining(`resource.label.subscription_id = "${s.name}"`),
          expect.stringContaining(`resource.label.subscription_id = "${deadLetterSubscriptionOf(s)}"`),
        ]);
        expect(filters.map(metricOf)).toEqual(['pubsub.googleapis.com/subscription/dead_letter_message_count', 'pubsub.googleapis.com/subscription/oldest_unacked_message_age']);
      }
    });

    it('alerts on the 5xx ratio of every Cloud Run service (the storefront, and the functions when deployed, too), from Cloud Run\'s request count', () => {
      const policies = renderPolicies('server_errors', scope());
      const expected = [...SERVICE_NAMES, 'storefront', ...(features.deployFunctions ? ['email-function', 'push-function'] : [])];
      expect(Object.keys(policies).sort()).toEqual(expected.sort());
      for (const [service, policy] of Object.entries(policies)) {
        const [condition] = policy.conditions;
        const all = `resource.type = "cloud_run_revision" AND resource.label.service_name = "${service}" AND metric.type = "run.googleapis.com/request_count"`;
        expect(condition!.denominator).toBe(all);
        expect(condition!.filter).toBe(`${all} AND metric.label.response_code_class = "5xx"`);
        expect(condition!.threshold).toBe(0.05);
        expect(condition!.aggregations).toEqual([expect.objectContaining({ per_series_aligner: 'ALIGN_RATE', cross_series_reducer: 'REDUCE_SUM' })]);
      }
    });

    it('alerts on the 99th percentile of every service\'s request handling, leaving out the cart\'s event streams', () => {
      const policies = renderPolicies('latency', scope());
      expect(Object.keys(policies).sort()).toEqual([...SERVICE_NAMES].sort());
      for (const [service, policy] of Object.entries(policies)) {
        const [condition] = policy.conditions;
        expect(metricOf(condition!.filter)).toBe('workload.googleapis.com/http_server_request_duration_seconds');
        expect(condition!.filter).toContain(`resource.label.job = "${service}"`);
        expect(condition!.filter).toContain('metric.label.route != "/cart/events"');
        expect(condition!.aggregations).toEqual([expect.objectContaining({ per_series_aligner: 'ALIGN_DELTA', cross_series_reducer: 'REDUCE_PERCENTILE_99' })]);
      }
    });

    it('alerts on the dead letters every service lists and has not replayed', () => {
      const policies = renderPolicies('dead_letters_listed', scope());
      expect(Object.keys(policies).sort()).toEqual([...SERVICE_NAMES].sort());
      for (const [service, policy] of Object.entries(policies)) expect(policy.conditions[0]!.filter).toBe(`resource.type = "generic_task" AND metric.type = "workload.googleapis.com/dead_letters" AND resource.label.job = "${service}"`);
    });
  });

  it('alerts on the CPU and the connections of the Cloud SQL instance Terraform creates, connections at 80% of max_connections', () => {
    const scope = scopeFor({ deployFunctions: false, enableServices: true });
    const cpu = renderPolicies('database_cpu', scope)['']!.conditions[0]!;
    const connections = renderPolicies('database_connections', scope)['']!.conditions[0]!;
    for (const condition of [cpu, connections]) expect(condition.filter).toContain(`resource.label.database_id = "${PROJECT}:shop-pg"`);
    expect(metricOf(cpu.filter)).toBe('cloudsql.googleapis.com/database/cpu/utilization');
    expect(metricOf(connections.filter)).toBe('cloudsql.googleapis.com/database/postgresql/num_backends');
    expect(cpu.threshold).toBe(0.8);
    expect(connections.threshold).toBe(200);
  });

  it('creates no subscription or service policy before the services exist (enable_services = false)', () => {
    const scope = scopeFor({ deployFunctions: true, enableServices: false });
    for (const name of ['oldest_unacked_message', 'dead_letters', 'server_errors', 'latency', 'dead_letters_listed']) expect(renderPolicies(name, scope)).toEqual({});
  });

  it('notifies var.notification_channels from every policy; the variable is a list of channel ids, empty by default', () => {
    const policies = Object.entries(root.resources).filter(([address]) => address.startsWith(`${POLICY}.`));
    expect(policies.length).toBeGreaterThanOrEqual(7);
    for (const [address, body] of policies) expect([address, body['notification_channels']]).toEqual([address, '${var.notification_channels}']);
    expect(root.variables['notification_channels']).toMatchObject({ type: '${list(string)}', default: [] });
  });

  it('reads only metrics that exist: Pub/Sub\'s, Cloud Run\'s, Cloud SQL\'s and the services\' own', () => {
    const scope = scopeFor({ deployFunctions: true, enableServices: true });
    const names = Object.keys(root.resources).filter((a) => a.startsWith(`${POLICY}.`)).map((a) => a.slice(POLICY.length + 1));
    const used = names.flatMap((name) => Object.values(renderPolicies(name, scope)).flatMap((p) => p.conditions.flatMap((c) => [c.filter, c.denominator ?? c.filter]))).map(metricOf);
    expect(used.filter((m) => !m || ![...WORKLOAD_METRICS, ...CLOUD_METRICS].includes(m))).toEqual([]);
  });

  it('enables the Monitoring API the policies and the dashboard are created through, and lets terraform.yml\'s identity manage them', async () => {
    expect(normalized(root.locals['apis'])).toContain('"monitoring.googleapis.com"');
    const deploy = await loadTerraformModule(join(TERRAFORM_DIR, 'modules', 'github-deploy'));
    expect(normalized(deploy.locals['terraform_roles'])).toContain('"roles/monitoring.editor"');
  });

  it('lets every service and function write its own spans and metrics (the Telemetry API for traces, Cloud Monitoring for metrics), and read neither', async () => {
    const service = await loadTerraformModule(join(TERRAFORM_DIR, 'modules', 'service'));
    expect(service.resources['google_project_iam_member.telemetry']).toMatchObject({ role: '${each.value}', member: '${google_service_account.this.member}' });
    expect(normalized(service.resources['google_project_iam_member.telemetry']!['for_each'])).toBe('${toset(["roles/telemetry.tracesWriter", "roles/monitoring.metricWriter"])}');
    for (const api of ['telemetry.googleapis.com', 'cloudtrace.googleapis.com', 'monitoring.googleapis.com']) expect(normalized(root.locals['apis'])).toContain(`"${api}"`);
  });
});

interface Tile {
  xPos?: number;
  yPos?: number;
  width: number;
  height: number;
  widget: { title: string; [kind: string]: unknown };
}

describe('the operations dashboard in Terraform (terraform/dashboards/operations.json)', () => {
  let dashboard: { displayName: string; mosaicLayout: { columns: number; tiles: Tile[] } };

  beforeAll(async () => {
    expect(root.resources['google_monitoring_dashboard.operations']?.['dashboard_json']).toBe('${file("${path.module}/dashboards/operations.json")}');
    dashboard = JSON.parse(await readFile(join(TERRAFORM_DIR, 'dashboards/operations.json'), 'utf8')) as typeof dashboard;
  });

  it('shows the checkout funnel, consumer lag and error rates, each in its own section', () => {
    const titles = dashboard.mosaicLayout.tiles.map((t) => t.widget.title);
    expect(titles).toEqual(expect.arrayContaining(['Checkout funnel', 'Consumer lag', 'Error rates', 'Checkout funnel: events published per second', 'Oldest unacknowledged message age by subscription (Pub/Sub)', '5xx ratio by service']));
    expect(new Set(titles).size).toBe(titles.length);
  });

  it('follows the checkout choreography\'s events in the funnel, in order', () => {
    const funnel = dashboard.mosaicLayout.tiles.find((t) => t.widget.title === 'Checkout funnel: events published per second')!;
    const filters = JSON.stringify(funnel.widget);
    const topics = [...filters.matchAll(/metric\.label\.topic = \\"([^\\]+)\\"/g)].map((m) => m[1]);
    expect(topics).toEqual(['order-requested', 'stock-available', 'stock.rejected', 'order.created']);
  });

  it('lays its tiles out inside the grid without overlapping', () => {
    const { columns, tiles } = dashboard.mosaicLayout;
    const cells = new Set<string>();
    for (const tile of tiles) {
      const x = tile.xPos ?? 0;
      const y = tile.yPos ?? 0;
      expect(x + tile.width, tile.widget.title).toBeLessThanOrEqual(columns);
      for (let i = x; i < x + tile.width; i++) {
        for (let j = y; j < y + tile.height; j++) {
          expect(cells.has(`${i},${j}`), `${tile.widget.title} overlaps another tile at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      }
    }
  });

  it('charts only metrics that exist, each with an aggregation', () => {
    const filters: { filter: string; aggregation?: unknown }[] = [];
    const walk = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        const node = value as Record<string, unknown>;
        if (typeof node['filter'] === 'string') filters.push({ filter: node['filter'], aggregation: node['aggregation'] });
        Object.values(node).forEach(walk);
      }
    };
    walk(dashboard);
    expect(filters.length).toBeGreaterThan(10);
    for (const { filter, aggregation } of filters) {
      expect([...WORKLOAD_METRICS, ...CLOUD_METRICS], filter).toContain(metricOf(filter));
      expect(aggregation, filter).toMatchObject({ alignmentPeriod: expect.stringMatching(/^\d+s$/), perSeriesAligner: expect.stringMatching(/^ALIGN_/) });
    }
  });
});
