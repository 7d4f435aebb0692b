import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { quoteIdent } from '@shop/db';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { applyServiceRoles, serviceRolesFromEnv, serviceUrlVariable, type ServiceRole } from './service-roles';

/** Roles are server-wide: this run's own names, dropped at the end. */
const prefix = `${inject('pgRunPrefix')}_${randomBytes(3).toString('hex')}`;

function role(service: string): ServiceRole {
  return { service, schema: service, role: `${prefix}_${service}`, password: `pw-${randomBytes(12).toString('hex')}` };
}

async function connectAs(db: TestDatabase, r: ServiceRole): Promise<pg.Client> {
  const url = new URL(db.url);
  url.username = r.role;
  url.password = r.password;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('serviceRolesFromEnv', () => {
  it('reads each service\'s role and password from SERVICE_DATABASE_URL_<SERVICE>', () => {
    const env = {
      SERVICE_DATABASE_URL_CART: 'postgresql://shop_cart:s3cret@localhost/shop?host=/cloudsql/p:r:i',
      SERVICE_DATABASE_URL_ORDER: 'postgresql://shop_order:p%40ss@localhost/shop',
    };
    expect(serviceRolesFromEnv(['cart', 'order'], env)).toEqual([
      { service: 'cart', schema: 'cart', role: 'shop_cart', password: 's3cret' },
      { service: 'order', schema: 'order', role: 'shop_order', password: 'p@ss' },
    ]);
    expect(serviceUrlVariable('cart')).toBe('SERVICE_DATABASE_URL_CART');
  });

  it('lists every missing, unusable or shared login at once', () => {
    const env = { SERVICE_DATABASE_URL_CART: 'postgresql://localhost/shop', SERVICE_DATABASE_URL_PUSH: 'not a url' };
    expect(() => serviceRolesFromEnv(['cart', 'order', 'push'], env)).toThrow(
      /SERVICE_DATABASE_URL_CART has no user name or no password\n.*SERVICE_DATABASE_URL_ORDER is not set\n.*SERVICE_DATABASE_URL_PUSH is not a URL/,
    );
    const shared = { SERVICE_DATABASE_URL_CART: 'postgresql://one:a@h/db', SERVICE_DATABASE_URL_ORDER: 'postgresql://one:b@h/db' };
    expect(() => serviceRolesFromEnv(['cart', 'order'], shared)).toThrow(/two services connect as role one/);
  });
});

describe('applyServiceRoles', () => {
  let db: TestDatabase;
  let admin: pg.Client;
  const cart = role('cart');
  const customer = role('customer');

  beforeAll(async () => {
    db = await useTestDatabase();
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await applyServiceRoles(admin, [cart, customer]);
  });

  afterAll(async () => {
    for (const r of [cart, customer]) {
      await admin.query(`DROP OWNED BY ${quoteIdent(r.role)}`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(r.role)}`);
    }
    await admin.end();
  });

  it('lets a service read and write its own schema, sequences included', async () => {
    const client = await connectAs(db, cart);
    try {
      await client.query(
        `INSERT INTO cart.outbox (event_id, topic, ordering_key, attributes, payload) VALUES (gen_random_uuid(), 'order-requested', 'k', '{}', '{}')`,
      );
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM cart.outbox');
      expect(Number(rows[0]!.n)).toBe(1);
      await client.query('DELETE FROM cart.outbox');
    } finally {
      await client.end();
    }
  });

  it('refuses a service another service\'s schema, DDL in its own, and CREATE in public', async () => {
    const client = await connectAs(db, cart);
    try {
      expect(await sqlState(client.query('SELECT 1 FROM customer.customers LIMIT 1'))).toBe('42501');
      expect(await sqlState(client.query('CREATE TABLE cart.sneaky (id int)'))).toBe('42501');
      expect(await sqlState(client.query('CREATE TABLE public.sneaky (id int)'))).toBe('42501');
      expect(await sqlState(client.query('DROP TABLE cart.outbox'))).toBe('42501');
    } finally {
      await client.end();
    }
  });

  it('covers tables a later migration creates', async () => {
    await admin.query('CREATE TABLE cart.added_later (id bigserial PRIMARY KEY, note text)');
    const client = await connectAs(db, cart);
    try {
      await client.query(`INSERT INTO cart.added_later (note) VALUES ('ok')`);
      expect((await client.query('SELECT note FROM cart.added_later')).rows).toEqual([{ note: 'ok' }]);
    } finally {
      await client.end();
    }
  });

  it('is idempotent and rotates the password when run again', async () => {
    const rotated = { ...customer, password: `pw-${randomBytes(12).toString('hex')}` };
    await applyServiceRoles(admin, [cart, rotated]);
    const client = await connectAs(db, rotated);
    try {
      await client.query('SELECT count(*) FROM customer.customers');
    } finally {
      await client.end();
    }
    const { rows } = await admin.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
      'SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1',
      [rotated.role],
    );
    expect(rows).toEqual([{ rolsuper: false, rolcreaterole: false, rolcreatedb: false }]);
    customer.password = rotated.password;
  });

  it('refuses a service whose schema does not exist, without creating its role', async () => {
    const ghost = role('ghost');
    await expect(applyServiceRoles(admin, [ghost])).rejects.toThrow(/schema ghost of service ghost does not exist/);
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ghost.role])).rowCount).toBe(0);
  });
});
