import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { isSameSiteRequest } from './same-site';

const app = new Hono().post('/form', (c) => c.text(isSameSiteRequest(c) ? 'same' : 'other'));
const post = (headers: Record<string, string>) => app.request('http://shop.example/form', { method: 'POST', headers: { Host: 'shop.example', ...headers } });

describe('isSameSiteRequest', () => {
  it('trusts the browser\'s Sec-Fetch-Site first: same-origin and a typed URL pass, same-site and cross-site do not', async () => {
    expect(await (await post({ 'Sec-Fetch-Site': 'same-origin', Origin: 'https://evil.example' })).text()).toBe('same');
    expect(await (await post({ 'Sec-Fetch-Site': 'none' })).text()).toBe('same');
    expect(await (await post({ 'Sec-Fetch-Site': 'same-site' })).text()).toBe('other');
    expect(await (await post({ 'Sec-Fetch-Site': 'cross-site', Origin: 'http://shop.example' })).text()).toBe('other');
  });

  it('falls back to Origin against Host, refusing another host or an unreadable Origin; no header at all passes', async () => {
    expect(await (await post({ Origin: 'http://shop.example' })).text()).toBe('same');
    expect(await (await post({ Origin: 'http://evil.example' })).text()).toBe('other');
    expect(await (await post({ Origin: 'null' })).text()).toBe('other');
    expect(await (await post({})).text()).toBe('same');
  });
});
