#!/usr/bin/env node
// `prisma generate` wants a schema engine binary it never uses for generation, and cannot download one
// offline (ENVIRONMENT.md). Pointing it at any existing executable (this Node) lets generation run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const cli = 'node_modules/prisma/build/index.js';
if (!existsSync(cli)) process.exit(0); // production installs omit the CLI; the bundle already holds the client
const result = spawnSync(process.execPath, [cli, 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
process.exit(result.status ?? 1);
