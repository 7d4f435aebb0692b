export { createTestDatabase, useTestDatabase, type TestDatabase } from './test-database';
export { freePort, startEmbeddedPostgres, type EmbeddedPostgresOptions, type RunningPostgres } from './embedded-postgres';
export { adminHeaders, json, supportHeaders, testLogger, testServiceConfig } from './http';
export { startIdTokenIssuer, type IssuerKey, type SignOptions, type TestIdTokenIssuer } from './id-token-issuer';
export { refuseIdempotentAnswers } from './idempotency-faults';
