import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// `yaml` comes with nx and vite (both dev dependencies of the workspace).
import { parse } from 'yaml';
import { deployables, MIGRATE, REPO_ROOT } from './package-app';

const WORKFLOWS = join(REPO_ROOT, '.github/workflows');
const VALIDATOR = join(REPO_ROOT, 'node_modules/@action-validator/cli/cli.mjs');

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  services?: Record<string, { image: string }>;
  env?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

async function workflow(name: string): Promise<Workflow> {
  return parse(await readFile(join(WORKFLOWS, name), 'utf8')) as Workflow;
}

const needsOf = (job: Job) => (Array.isArray(job.needs) ? job.needs : job.needs ? [job.needs] : []);
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const uses = (job: Job, action: string) => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));

describe('the GitHub Actions workflows', () => {
  let apps: string[];
  beforeAll(async () => {
    apps = (await deployables()).filter((d) => d !== MIGRATE);
  });

  it('are all valid workflows (action-validator)', async () => {
    const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f));
    expect(files.sort()).toEqual(['ci.yml', 'deploy.yml', 'terraform.yml']);
    for (const file of files) {
      const result = spawnSync(process.execPath, [VALIDATOR, join(WORKFLOWS, file)], { encoding: 'utf8' });
      expect(result.status, `${file}\n${result.stdout}${result.stderr}`).toBe(0);
    }
  });

  it('refuses an invalid workflow (the validator really validates)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'workflow-'));
    try {
      const file = join(dir, 'broken.yml');
      await writeFile(file, 'on: push\njobs:\n  a:\n    runz-on: ubuntu-latest\n    steps:\n      - run: echo\n');
      const result = spawnSync(process.execPath, [VALIDATOR, file], { encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stdout + result.stderr).toContain("Additional property 'runz-on' is not allowed");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ci: tests the affected projects against a PostgreSQL service container, and runs these checks', async () => {
    const ci = await workflow('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    const job = ci.jobs['test']!;
    expect(job.services?.['postgres']?.image).toMatch(/^postgres:\d+/);
    expect(job.env?.['DATABASE_URL']).toMatch(/^postgresql:\/\/postgres:postgres@127\.0\.0\.1:5432\//);
    expect(runs(job)).toMatch(/npx nx affected -t lint typecheck test --base="\$NX_BASE" --head="\$NX_HEAD"/);
    expect(runs(job)).toContain('npx vitest run scripts');
    expect(uses(job, 'nrwl/nx-set-shas')).toHaveLength(1);
    // The emulator tests run where gcloud can be installed, and say they skipped otherwise.
    expect(uses(job, 'google-github-actions/setup-gcloud')[0]?.with?.['install_components']).toContain('pubsub-emulator');
  });

  it('deploy: lists exactly the apps of apps/ as deployable', async () => {
    const deploy = await workflow('deploy.yml');
    expect(deploy.env?.['ALL_APPS']?.split(/\s+/).sort()).toEqual([...apps].sort());
  });

  it('deploy: on main, authenticates by Workload Identity Federation, never by key', async () => {
    const deploy = await workflow('deploy.yml');
    expect(deploy.on['push']).toEqual({ branches: ['main'] });
    expect(deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    for (const [name, job] of Object.entries(deploy.jobs).filter(([n]) => n !== 'changes')) {
      const auth = uses(job, 'google-github-actions/auth');
      expect(auth, name).toHaveLength(1);
      expect(auth[0]!.with).toMatchObject({ workload_identity_provider: '${{ vars.GCP_WORKLOAD_IDENTITY }}', service_account: '${{ vars.GCP_DEPLOY_SA }}' });
      expect(auth[0]!.with).not.toHaveProperty('credentials_json');
    }
  });

  it('deploy: builds each selected app\'s image (and the migration job\'s) tagged with the commit SHA', async () => {
    const deploy = await workflow('deploy.yml');
    const build = deploy.jobs['build']!;
    expect(needsOf(build)).toEqual(['changes']);
    expect(build.strategy?.matrix['image']).toBe('${{ fromJSON(needs.changes.outputs.images) }}');
    const push = uses(build, 'docker/build-push-action')[0]!;
    expect(push.with).toMatchObject({ context: '.', 'build-args': 'APP=${{ matrix.image }}', push: true, tags: '${{ env.REPOSITORY }}/${{ matrix.image }}:${{ github.sha }}' });
    // The selection refuses an affected app missing from ALL_APPS and adds the migration image.
    const select = deploy.jobs['changes']!.steps.find((s) => s.id === 'select')!;
    expect(select.run).toContain('nx show projects --affected --type app');
    expect(select.run).toContain('is not in ALL_APPS');
    expect(select.run).toContain('. + ["migrate"]');
  });

  it('deploy: deploys every app when what every image is built from changes, though no Nx project owns it', async () => {
    const deploy = await workflow('deploy.yml');
    const select = deploy.jobs['changes']!.steps.find((s) => s.id === 'select')!;
    expect(select.run).toMatch(/git diff --name-only "\$NX_BASE" "\$NX_HEAD" \| grep -qE "\$SHARED_BUILD_INPUTS"; then\s+# [^\n]*\n\s+apps="\$ALL_APPS"/);
    const shared = new RegExp(select.env!['SHARED_BUILD_INPUTS']!);
    // Everything the Dockerfile's build reads outside apps/ and libs/ (whose changes Nx maps to projects).
    for (const path of ['Dockerfile', '.dockerignore', 'package-lock.json', 'prisma/migrations/20260101000000_x/migration.sql', 'prisma/schema/cart.prisma', 'scripts/build.ts', 'scripts/deploy/package-app.ts', 'scripts/deploy/migrate-job.ts', 'scripts/deploy/service-roles.ts']) {
      expect(shared.test(path), path).toBe(true);
    }
    for (const path of ['README.md', 'terraform/services.tf', 'scripts/deploy/terraform.test.ts', 'apps/cart/src/main.ts']) expect(shared.test(path), path).toBe(false);
  });

  it('deploy: runs the migration job before rolling out, then deploys digests and checks the new revision became ready', async () => {
    const deploy = await workflow('deploy.yml');
    const migrate = deploy.jobs['migrate']!;
    expect(needsOf(migrate)).toEqual(['changes', 'build']);
    expect(runs(migrate)).toMatch(/gcloud run jobs update migrate .*--image "\$REPOSITORY\/migrate@\$digest"/);
    expect(runs(migrate)).toMatch(/gcloud run jobs execute migrate .*--wait/);
    const rollout = deploy.jobs['deploy']!;
    expect(needsOf(rollout)).toEqual(['changes', 'migrate']);
    expect(rollout.strategy?.matrix['app']).toBe('${{ fromJSON(needs.changes.outputs.apps) }}');
    const script = runs(rollout);
    expect(script).toMatch(/gcloud run services update "\$APP" .*--image "\$REPOSITORY\/\$APP@\$digest"/);
    // The services admit no request from a runner (ingress): Cloud Run's /readyz startup probe is the smoke test.
    expect(script).not.toMatch(/print-identity-token|curl/);
    expect(script).toContain("--format='value(status.latestCreatedRevisionName,status.latestReadyRevisionName)'");
    expect(script).toContain('[ "$created" != "$ready" ]');
    expect(rollout.steps.at(-1)).toMatchObject({ if: "failure() && steps.rollout.outputs.previous != ''" });
  });

  it('deploy: moves an app\'s Cloud Run function (Terraform deploy_functions) to the same image digest, and back on failure', async () => {
    const deploy = await workflow('deploy.yml');
    const rollout = deploy.jobs['deploy']!;
    const script = rollout.steps.find((s) => s.id === 'rollout')!.run!;
    expect(script).toContain('gcloud run services describe "$APP-function"');
    expect(script).toMatch(/gcloud run services update "\$APP-function" .*--image "\$REPOSITORY\/\$APP@\$digest"/);
    expect(script).toContain('echo "function_previous=$function_previous" >> "$GITHUB_OUTPUT"');
    const rollback = rollout.steps.at(-1)!;
    expect(rollback.env?.['FUNCTION_PREVIOUS']).toBe('${{ steps.rollout.outputs.function_previous }}');
    expect(rollback.run).toContain('gcloud run services update-traffic "$APP-function" --region "$REGION" --to-revisions "$FUNCTION_PREVIOUS=100"');
  });

  it('terraform: fmt, validate and plan on pull requests; apply on main behind the production environment', async () => {
    const terraform = await workflow('terraform.yml');
    expect(Object.keys(terraform.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    const check = runs(terraform.jobs['check']!);
    expect(check).toContain('terraform fmt -check -recursive');
    expect(check).toContain('terraform validate');
    const plan = terraform.jobs['plan']!;
    expect(plan.if).toContain("github.event_name == 'pull_request'");
    expect(runs(plan)).toContain('terraform plan');
    expect(uses(plan, 'google-github-actions/auth')[0]?.with).toEqual({
      workload_identity_provider: '${{ vars.GCP_PLAN_WORKLOAD_IDENTITY }}',
      service_account: '${{ vars.GCP_TERRAFORM_PLAN_SA }}',
    });
    // The plan identity may read the state bucket but not write the lock object.
    expect(runs(plan)).toMatch(/terraform plan -lock=false /);
    expect(runs(plan)).not.toContain('-lock-timeout');
    expect(runs(plan)).not.toContain('terraform apply');
    const apply = terraform.jobs['apply']!;
    expect(apply.environment).toBe('production');
    expect(apply.if).toContain("github.ref == 'refs/heads/main'");
    expect(needsOf(apply)).toEqual(['check']);
    expect(runs(apply)).toContain('terraform apply');
    expect(uses(apply, 'google-github-actions/auth')[0]?.with?.['service_account']).toBe('${{ vars.GCP_TERRAFORM_SA }}');
  });
});
