import type { Context, Next } from 'hono';

/** A header every response gets unless the handler sets its own. */
export type ResponseHeader = readonly [name: string, value: string];

/** What this module needs of the Node response behind a request that @hono/node-server serves. */
interface NodeResponse {
  setHeader(name: string, value: string): unknown;
  readonly headersSent: boolean;
}

/** The Node response, from the bindings @hono/node-server passes (`c.env.outgoing`); none under `app.request`. */
function nodeResponseOf(c: Context): NodeResponse | undefined {
  const outgoing = (c.env as { outgoing?: Partial<NodeResponse> } | undefined)?.outgoing;
  return typeof outgoing?.setHeader === 'function' && outgoing.headersSent === false ? (outgoing as NodeResponse) : undefined;
}

/** Whether @hono/node-server serves this request (a socket's HTTP/1.1 framing stands behind its headers). */
export function isServedByNode(c: Context): boolean {
  return nodeResponseOf(c) !== undefined;
}

/**
 * Runs `next` with `headers` on whatever response it gives, each one unless the response sets it itself.
 *
 * Served by @hono/node-server, they go on the Node response BEFORE the handler runs: `writeHead` merges them
 * under the response's own headers, whatever kind of response it is (JSON, a problem document, a page, a
 * stream). Setting them on Hono's response after the handler instead (`c.header` once the response exists)
 * copies that response, body stream and all, and node-server then pipes the stream where it would have written
 * the body at once: three of them per request cost the cart more CPU than its statement (bench:http's profile).
 * Under `app.request` (tests) there is no Node response, and they go on Hono's response afterwards.
 */
export async function withResponseHeaders(c: Context, next: Next, headers: readonly ResponseHeader[]): Promise<void> {
  const node = nodeResponseOf(c);
  if (node) {
    for (const [name, value] of headers) node.setHeader(name, value);
    await next();
    return;
  }
  await next();
  for (const [name, value] of headers) if (!c.res.headers.has(name)) c.res.headers.set(name, value);
}
