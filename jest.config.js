/** @type {import('jest').Config} */
const ts = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = { testEnvironment: 'node', transform: ts, moduleFileExtensions: ['ts', 'js', 'json'], setupFiles: ['<rootDir>/test/support/seed.ts'] };

module.exports = {
  // Generous: the HTTP and process suites share 2 cores in CI; a test that hangs still fails.
  testTimeout: 90_000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/seed-setup.ts',
  projects: [
    // Pure functions and format writers: no store, no network.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    // The Qvickly Payment API client against a fake Qvickly, its contract and its Prism sandbox.
    { ...common, displayName: 'qvickly', testMatch: ['<rootDir>/test/qvickly/**/*.test.ts'] },
    // The store contract and the HTTP behaviour, once per engine.
    {
      ...common,
      displayName: 'sqlite',
      testMatch: ['<rootDir>/test/store/**/*.test.ts', '<rootDir>/test/http/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/seed.ts', '<rootDir>/test/support/engine-sqlite.ts'],
    },
    {
      ...common,
      displayName: 'postgres',
      testMatch: ['<rootDir>/test/store/**/*.test.ts', '<rootDir>/test/http/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/seed.ts', '<rootDir>/test/support/engine-postgres.ts'],
      globalSetup: '<rootDir>/test/support/postgres-available.ts',
    },
    // Event delivery: the dispatcher against an in-memory outbox and a real HTTP receiver.
    { ...common, displayName: 'delivery', testMatch: ['<rootDir>/test/delivery/**/*.test.ts'] },
    // Whole processes: the built service, Prism, Chromium, crashes.
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/postgres-available.ts',
    },
  ],
};
