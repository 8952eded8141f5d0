/**
 * One Temporal dev server and one workflow bundle per run (test/support/globalSetup.ts), shared by every test file
 * through TEMPORAL_TEST_* variables; see test/support/temporal.ts for the helpers.
 * Type checking is `npm run typecheck` (npm test runs it first), so ts-jest only transpiles.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The production-like cluster has its own command: npm run test:cluster (jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: { isolatedModules: true } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/anyHour.ts'],
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  testTimeout: 60_000,
};
