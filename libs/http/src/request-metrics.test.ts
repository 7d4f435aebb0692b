import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '@shop/observability';
import { asCustomer, createTestApp, CUSTOMER_A, support } from './test-support';

/** The request histogram's `_count` samples, as `labels → count`. */
async function requestCounts(text: Promise<string>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const line of (await text).split('\n')) {
    const match = /^http_server_request_duration_seconds_count\{(.*)\} (\d+)$/.exec(line);
    if (match) counts[match[1]!] = Number(match[2]);
  }
  return counts;
}

describe('measureRequests', () => {
  it('labels each request with its route pattern, never the raw path, and its status', async () => {
    const metrics = createServiceMetrics({ service: 'things' });
    const { app } = createTestApp({ metrics });
    await app.request('/things/abc', { headers: asCustomer(CUSTOMER_A) });
    await app.request('/things/def', { headers: asCustomer(CUSTOMER_A) });
    await app.request('/things/ghi');
    await app.request('/nowhere/42');
    await app.request('/things', { method: 'PATCH' });
    await app.request('/crash');
    expect(await requestCounts(metrics.prometheusText())).toEqual({
      // Two ids, one series: the test app knows no thing, hence 404 from the route itself.
      'method="GET",route="/things/:id",status="404"': 2,
      // Refused before the handler ran: still its route's request.
      'method="GET",route="/things/:id",status="401"': 1,
      'method="GET",route="unmatched",status="404"': 1,
      'method="PATCH",route="unmatched",status="405"': 1,
      'method="GET",route="/crash",status="500"': 1,
    });
  });

  it('records nothing when the app has no metrics', async () => {
    const { app } = createTestApp();
    expect((await app.request('/metrics', { headers: support })).status).toBe(404);
  });
});
