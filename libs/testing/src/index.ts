export { createTestDatabase, useTestDatabase, type TestDatabase } from './test-database';
export { freePort, startEmbeddedPostgres, type EmbeddedPostgresOptions, type RunningPostgres } from './embedded-postgres';
export { adminHeaders, json, supportHeaders, testLogger, testServiceConfig } from './http';
