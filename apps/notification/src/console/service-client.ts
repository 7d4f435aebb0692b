import type { ServiceName } from '@shop/contracts';
import type { IdTokenSource } from '@shop/http';

/** A GET to another service's HTTP API, as the console makes it (with the support token). */
export type ServiceClient = (service: ServiceName, path: string, headers: Record<string, string>) => Promise<Response>;

/** How long the console waits for one service: a journey page shows what the others said instead of hanging. */
const TIMEOUT_MS = 5_000;

/**
 * A client over the services' base URLs (`ORDER_SERVICE_URL`, …); a service without a URL answers `undefined`
 * through `ServiceUnreachable`, so the page says which part of the journey it could not see.
 * `self` answers for this service without a network round trip (Terraform cannot give a service its own URL).
 */
export function httpServiceClient(
  urls: Partial<Record<ServiceName, string>>,
  self?: { service: ServiceName; request(path: string, init: RequestInit): Promise<Response> | Response },
  /** On Cloud Run: an ID token per service, sent as `X-Serverless-Authorization` (see @shop/http's id-tokens.ts). */
  idTokens?: IdTokenSource,
): ServiceClient {
  return async function requestService(service, path, headers) {
    if (self && service === self.service) return self.request(path, { headers });
    const base = urls[service];
    if (!base) throw new ServiceUnreachable(service, 'no URL configured (its <SERVICE>_SERVICE_URL)');
    try {
      const proof: Record<string, string> = idTokens ? { 'X-Serverless-Authorization': `Bearer ${await idTokens(new URL(base).origin)}` } : {};
      return await fetch(new URL(path, base), { headers: { ...headers, ...proof }, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
    } catch (err) {
      throw new ServiceUnreachable(service, err instanceof Error ? err.message : String(err));
    }
  };
}

/** A service the console could not ask. */
export class ServiceUnreachable extends Error {
  constructor(
    readonly service: ServiceName,
    detail: string,
  ) {
    super(`${service}: ${detail}`);
    this.name = 'ServiceUnreachable';
  }
}
