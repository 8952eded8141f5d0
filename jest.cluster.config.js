/**
 * `npm run test:cluster`: test/cluster only, on the v1.29.1 Temporal server as a two-node cluster on
 * PostgreSQL (src/temporal/cluster.ts); the run's embedded PostgreSQL comes from the same globalSetup.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
};
