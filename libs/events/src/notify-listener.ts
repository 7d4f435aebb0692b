import pg from 'pg';
import { quoteIdent } from '@shop/db';

export interface NotifyListenerOptions {
  databaseUrl: string;
  /** How the connection shows in `pg_stat_activity`. */
  applicationName: string;
  channel: string;
  onNotification(): void;
  /** The connection failed and is being closed: the caller opens another when it next looks, polling meanwhile. */
  onLost(err: Error, client: pg.Client): void;
}

/**
 * Opens a dedicated connection that LISTENs on `channel` (a pooled one would lose the LISTEN when released).
 * The caller owns the connection, and may run its own queries on it: the relay holds its leader lock there,
 * so the lock goes with the listener.
 */
export async function listenOn(options: NotifyListenerOptions): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: options.databaseUrl, application_name: options.applicationName });
  client.on('error', (err) => {
    options.onLost(err, client);
    client.end().catch(() => undefined);
  });
  client.on('notification', () => options.onNotification());
  await client.connect();
  await client.query(`LISTEN ${quoteIdent(options.channel)}`);
  return client;
}
