import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Libraries are imported by their tsconfig path aliases; give Vite the same map.
const { compilerOptions } = JSON.parse(readFileSync(new URL('./tsconfig.base.json', import.meta.url), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
// Exact matches only: `@shop/testing` must not also capture `@shop/testing/embedded-postgres`.
const alias = Object.entries(compilerOptions.paths).map(([name, [target]]) => ({
  find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
  replacement: resolve(import.meta.dirname, target!),
}));

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: ['libs/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'libs/*/src/**/*.test.ts', 'libs/*/test/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['scripts/system/**', '**/node_modules/**'],
        },
      },
      {
        // The whole system per file: eight services with their pools and queues. One file at a time, after the
        // rest, so a server with PostgreSQL's default 100 connections (CI's second pass) holds it, and races
        // measure the system rather than the neighbours.
        extends: true,
        test: { name: 'system', include: ['scripts/system/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
