/**
 * StrykerJS (npm run mutation): does a test fail when the code is wrong? One run per folder
 * (MUTATION_SCOPE=ipn|store|http), each against the suites that cover it (jest.mutation.config.js),
 * incremental so that a rerun only tests what changed. Not part of npm test.
 */
const scope = process.env.MUTATION_SCOPE ?? 'ipn';

module.exports = {
  $schema: './node_modules/@stryker-mutator/core/schema/stryker-schema.json',
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', enableFindRelatedTests: true },
  mutate: [`src/${scope}/**/*.ts`, '!src/**/*.d.ts'],
  coverageAnalysis: 'perTest',
  // A mutant in code that runs when a module loads would need every test run again, per mutant.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${scope}-incremental.json`,
  concurrency: 2,
  timeoutMS: 20000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 40,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${scope}.html` },
  jsonReporter: { fileName: `reports/mutation/${scope}.json` },
  thresholds: { high: 85, low: 75, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
