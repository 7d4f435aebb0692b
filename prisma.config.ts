import { defineConfig } from 'prisma/config';

// The URL is only needed by commands that talk to a database; `prisma generate` reads the schema alone.
export default defineConfig({
  schema: 'prisma/schema',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env['DATABASE_URL'] ?? 'postgresql://localhost:5432/shop' },
});
