import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '@shop/contracts';
import { buildProject } from './build';

/**
 * Packages a service loads only once its configuration asks for them (issue 13: an idle service's memory).
 * A static `import` of any of them in a bundle would load it into every process at start-up, whatever the
 * configuration: the transports' clients, tracing's SDK and exporters, and ID-token verification.
 */
const LOADED_WHEN_CONFIGURED = [
  'pg-boss',
  '@google-cloud/pubsub',
  'google-auth-library',
  'jose',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/instrumentation',
  '@opentelemetry/exporter-trace-otlp-http',
  '@google-cloud/opentelemetry-cloud-trace-exporter',
  '@google-cloud/opentelemetry-cloud-monitoring-exporter',
];

const outdir = await mkdtemp(join(tmpdir(), 'shop-build-'));
afterAll(() => rm(outdir, { recursive: true, force: true }));

describe('buildProject', () => {
  it.each(SERVICE_NAMES)('bundles %s without a static import of any package loaded only when configured', async (name) => {
    const { metafile } = await buildProject(`apps/${name}`, { outdir: join(outdir, name), quiet: true });
    const imports = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external));
    const isLazy = (path: string) => LOADED_WHEN_CONFIGURED.some((pkg) => path === pkg || path.startsWith(`${pkg}/`));
    expect(imports.filter((i) => isLazy(i.path) && i.kind !== 'dynamic-import').map((i) => i.path)).toEqual([]);
    // Still bundled, as an import() of its own: the check above must not pass because a package was dropped.
    expect(imports.some((i) => i.path === 'pg-boss' && i.kind === 'dynamic-import')).toBe(true);
    // Prisma's query compiler is required once and let go (prismaCompilerReadOnce), not imported for good.
    expect(imports.filter((i) => i.path.includes('wasm-base64')).map((i) => i.path)).toEqual([]);
  });
});
