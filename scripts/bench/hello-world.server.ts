// The baseline of bench:http: a bare Hono hello world on @hono/node-server, the server every service runs on,
// in a process of its own (as each service is). Listens on 127.0.0.1:$PORT and prints `listening` once it does.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('Hello Hono!'));

const server = serve({ fetch: app.fetch, port: Number(process.env['PORT']), hostname: '127.0.0.1' }, () => console.log('listening'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
