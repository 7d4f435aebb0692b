import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
// A static import, not require.resolve: esbuild then lists swagger-ui-dist among the bundle's packages, so the
// packaged image installs it (scripts/deploy/package-app.ts), and Node finds it beside the bundle at runtime.
import swaggerUiDistPath from 'swagger-ui-dist/absolute-path.js';
import type { AppEnv } from './context';

/**
 * The reference page's policy: scripts, styles and the document from this origin only (Swagger UI draws its
 * icons from data: URLs), no inline script, never framed.
 */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// Our own initialiser in place of the package's swagger-initializer.js (which loads the Petstore): it reads the
// document's URL from the page, so the page's CSP needs no inline script. validatorUrl null: the default would
// load a badge from validator.swagger.io.
const INITIALISER = `window.addEventListener('DOMContentLoaded', function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.getAttribute('data-url'),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
`;

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** A hash of the content, for URLs that can be cached for good. */
  version: string;
}

/** The assets under /docs/: served file name → where the content comes from and its type. */
const SOURCES: Record<string, { file?: string; text?: string; type: string }> = {
  'swagger-ui.css': { file: 'swagger-ui.css', type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'text/javascript; charset=utf-8' },
  'docs-init.js': { text: INITIALISER, type: 'text/javascript; charset=utf-8' },
  'favicon-32x32.png': { file: 'favicon-32x32.png', type: 'image/png' },
};

let loading: Promise<Map<string, Asset>> | undefined;

/** Reads the assets once per process, on the first request for the page or one of them, and keeps them. */
function docsAssets(): Promise<Map<string, Asset>> {
  loading ??= (async () => {
    const folder = swaggerUiDistPath();
    const entries = await Promise.all(
      Object.entries(SOURCES).map(async ([name, source]) => {
        const body = source.file ? new Uint8Array(await readFile(join(folder, source.file))) : new TextEncoder().encode(source.text);
        const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
        return [name, { body, type: source.type, version }] as const;
      }),
    );
    return new Map(entries);
  })().catch((err: unknown) => {
    // Let a later request try again rather than remember a failure for the life of the process.
    loading = undefined;
    throw err;
  });
  return loading;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function page(title: string, openApiUrl: string, assets: Map<string, Asset>): string {
  const url = (name: string) => `/docs/${name}?v=${assets.get(name)!.version}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" type="image/png" href="${url('favicon-32x32.png')}">
<link rel="stylesheet" href="${url('swagger-ui.css')}">
</head><body><div id="swagger-ui" data-url="${escapeHtml(openApiUrl)}"></div>
<script src="${url('swagger-ui-bundle.js')}"></script>
<script src="${url('docs-init.js')}"></script>
</body></html>
`;
}

/**
 * The browsable API reference at `GET /docs`: Swagger UI from the installed `swagger-ui-dist` package, served by
 * the service itself (so the page works with no internet), its assets at `/docs/<file>` with long cache
 * lifetimes (their URLs carry a hash of the content), under a policy that admits nothing from elsewhere.
 */
export function registerDocs(app: Hono<AppEnv>, options: { title: string; openApiUrl: string }): void {
  app.get('/docs', async (c) =>
    c.body(page(options.title, options.openApiUrl, await docsAssets()), 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': DOCS_CONTENT_SECURITY_POLICY,
      'Cache-Control': 'no-cache',
    }),
  );
  for (const name of Object.keys(SOURCES)) {
    app.get(`/docs/${name}`, async (c) => {
      const asset = (await docsAssets()).get(name)!;
      return c.body(asset.body, 200, {
        'Content-Type': asset.type,
        'Cache-Control': 'public, max-age=31536000, immutable',
      });
    });
  }
}
