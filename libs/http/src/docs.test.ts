import { describe, expect, it } from 'vitest';
import { DOCS_CONTENT_SECURITY_POLICY } from './docs';
import { createTestApp } from './test-support';

/** The URLs of the page's scripts, stylesheets and icons. */
function referencesOf(html: string): { scripts: string[]; styles: string[]; icons: string[] } {
  const all = (re: RegExp) => [...html.matchAll(re)].map((m) => m[1]!);
  return {
    scripts: all(/<script[^>]*\ssrc="([^"]+)"/g),
    styles: all(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g),
    icons: all(/<link[^>]*rel="icon"[^>]*href="([^"]+)"/g),
  };
}

describe('GET /docs', () => {
  const { app } = createTestApp();

  it('answers HTML under a policy that names no other origin and allows no inline script or style', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('Content-Security-Policy')!;
    expect(csp).toBe(DOCS_CONTENT_SECURITY_POLICY);
    expect(csp).not.toMatch(/https?:|\*|'unsafe-inline'|'unsafe-eval'/);
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )style-src 'self'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('data-url="/openapi.json"');
    // Every <script> has a src: nothing inline for the policy to refuse.
    expect(html.match(/<script/g)).toHaveLength(referencesOf(html).scripts.length);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves every script, stylesheet and icon the page references, with its type and a long cache lifetime', async () => {
    const { scripts, styles, icons } = referencesOf(await (await app.request('/docs')).text());
    expect(scripts).toHaveLength(2);
    expect(styles).toHaveLength(1);
    const expected: [string[], string][] = [
      [scripts, 'text/javascript; charset=utf-8'],
      [styles, 'text/css; charset=utf-8'],
      [icons, 'image/png'],
    ];
    for (const [urls, type] of expected) {
      for (const url of urls) {
        expect(url).toMatch(/^\/docs\/[\w.-]+\?v=[0-9a-f]{16}$/);
        const res = await app.request(url);
        expect(res.status, url).toBe(200);
        expect(res.headers.get('Content-Type'), url).toBe(type);
        expect(res.headers.get('Cache-Control'), url).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('X-Content-Type-Options'), url).toBe('nosniff');
        expect((await res.arrayBuffer()).byteLength, url).toBeGreaterThan(100);
      }
    }
    const bundle = await (await app.request(scripts[0]!)).text();
    expect(bundle).toContain('SwaggerUIBundle');
    const init = await (await app.request(scripts[1]!)).text();
    expect(init).toContain("getAttribute('data-url')");
    expect(init).toContain('validatorUrl: null');
  });

  it('answers an unknown file under /docs/ with a 404 problem', async () => {
    const res = await app.request('/docs/swagger-initializer.js');
    expect(res.status).toBe(404);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  });
});
