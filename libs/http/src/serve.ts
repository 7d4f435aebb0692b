import { serve } from '@hono/node-server';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '@shop/observability';

export interface ServeOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  port: number;
  hostname?: string;
  logger: Logger;
  /** Everything must be closed within this; Cloud Run sends SIGKILL 10 s after SIGTERM. */
  shutdownTimeoutMs: number;
  /** Called first on a signal, e.g. to make `/readyz` fail while draining. */
  onDrain?: () => void;
  /** Closed in order after the server stops accepting and in-flight requests finish (consumers, database). */
  closers: (() => Promise<void>)[];
}

export interface RunningServer {
  server: Server;
  port: number;
  /** Stops like a SIGTERM would, without exiting the process (for tests). */
  shutdown(): Promise<void>;
}

/**
 * Listens and installs graceful shutdown on SIGTERM and SIGINT: stop accepting, let in-flight requests finish,
 * close consumers and the database, exit 0; if that takes longer than the timeout, exit 1 anyway.
 */
export async function serveApp(options: ServeOptions): Promise<RunningServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: options.fetch, port: options.port, hostname: options.hostname }, () => {
      s.off('error', reject);
      resolve(s as Server);
    });
    // A taken port is an 'error' event, not an exception: without this the promise would never settle.
    s.once('error', reject);
  });
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.logger.info({ port }, `listening on port ${port}`);

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      options.onDrain?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets with no request in flight would hold close() open until they time out.
        server.closeIdleConnections();
        // A socket whose request is still running would stay open (keep-alive) after answering, holding close()
        // for another keepAliveTimeout: answer with `Connection: close` instead, and drop it once done.
        for (const res of inFlight) {
          if (!res.headersSent) res.shouldKeepAlive = false;
          res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
        }
      });
      for (const close of options.closers) {
        try {
          await close();
        } catch (err) {
          options.logger.error({ err }, 'error while closing');
        }
      }
      // Stopped for good: a later signal (or a test that called `shutdown()`) must not find us listening.
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    })());

  const onSignal = (signal: NodeJS.Signals) => {
    options.logger.info({ signal }, `received ${signal}, shutting down`);
    const timer = setTimeout(() => {
      options.logger.error('shutdown timed out; exiting');
      server.closeAllConnections();
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    shutdown().then(
      () => {
        options.logger.info('shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        options.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return { server, port, shutdown };
}
