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
  // findRelatedTests keeps only test files that import a mutated file: right for the domain's
  // unit tests, wrong for the store and HTTP, whose suites reach them through the composition
  // root (their mutants came out as survivors the suites kill).
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', enableFindRelatedTests: scope === 'ipn' },
  // The PostgreSQL half of the store runs the same contract suite as SQLite, but only against a
  // live server (minutes per run): it is left out here, not counted as uncovered.
  // In src/http, the files that decide what a caller is answered: the outcome-to-HTTP table and
  // format negotiation. Routing, the callback handler, the app's wiring, the writers and the docs
  // routes are left out: every mutant there runs most of the HTTP suites (about 20 s each).
  mutate:
    scope === 'http'
      ? ['src/http/answers.ts', 'src/http/formats/index.ts']
      : [`src/${scope}/**/*.ts`, '!src/store/postgres/**'],
  // Each mutant runs against the tests that reach it.
  coverageAnalysis: 'perTest',
  // A mutant in code that runs when a module loads would need every test run again, per mutant
  // (StrykerJS allows skipping them only with perTest).
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
