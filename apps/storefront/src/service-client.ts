import type { IdTokenSource } from '@shop/http/web';
import type { ShopService } from './config';

/** One request to a service: path with query, method, extra headers (identity, tokens), a JSON body. */
export interface ServiceRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: unknown;
  /** Ends the request with the caller (a browser that went away); streams use it instead of a timeout. */
  signal?: AbortSignal;
  /** A long-lived stream (server-sent events): no timeout, only `signal`. */
  stream?: boolean;
}

/** Sends a request to one of the services and answers its response, whatever its status. */
export type ServiceClient = (service: ShopService, path: string, request?: ServiceRequest) => Promise<Response>;

/** How long a page waits for one service before it says that service is not answering. */
const TIMEOUT_MS = 5_000;

export interface HttpServiceClientOptions {
  urls: Record<ShopService, string>;
  /** On Cloud Run: an ID token per service, sent as `X-Serverless-Authorization` (see @shop/http's id-tokens.ts). */
  idTokens?: IdTokenSource;
  fetch?: typeof fetch;
}

/** A client over the services' base URLs (`PRODUCT_SERVICE_URL`, …). A network failure is `ServiceUnreachable`. */
export function httpServiceClient(options: HttpServiceClientOptions): ServiceClient {
  const send = options.fetch ?? fetch;
  return async function requestService(service, path, request = {}) {
    const base = options.urls[service];
    const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      if (options.idTokens) headers['X-Serverless-Authorization'] = `Bearer ${await options.idTokens(new URL(base).origin)}`;
      const timeout = AbortSignal.timeout(TIMEOUT_MS);
      const signal = request.stream ? request.signal : request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
      return await send(new URL(path, base), {
        method: request.method ?? 'GET',
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        ...(signal ? { signal } : {}),
        redirect: 'manual',
      });
    } catch (err) {
      throw new ServiceUnreachable(service, err instanceof Error ? err.message : String(err));
    }
  };
}

/** A service the storefront could not reach. */
export class ServiceUnreachable extends Error {
  constructor(
    readonly service: ShopService,
    detail: string,
  ) {
    super(`${service}: ${detail}`);
    this.name = 'ServiceUnreachable';
  }
}

/** A service's refusal, read from its RFC 9457 problem document. */
export class ServiceProblem extends Error {
  constructor(
    readonly service: ShopService,
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: { field?: string; message: string }[] = [],
  ) {
    super(`${service} answered ${status}: ${detail ?? title}`);
    this.name = 'ServiceProblem';
  }
}

/** The JSON of a 2xx answer (undefined for 204); any other answer becomes a `ServiceProblem`. */
export async function readAnswer<T>(service: ShopService, response: Response): Promise<T> {
  const text = await response.text();
  if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
  let problem: { title?: unknown; detail?: unknown; errors?: unknown } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    // Not a problem document (a proxy's error page): the status says enough.
  }
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter((e): e is { field?: string; message: string } => typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string')
    : [];
  return Promise.reject(
    new ServiceProblem(
      service,
      response.status,
      typeof problem.title === 'string' ? problem.title : response.statusText || 'Error',
      typeof problem.detail === 'string' ? problem.detail : undefined,
      errors,
    ),
  );
}
