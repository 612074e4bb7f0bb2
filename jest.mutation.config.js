/**
 * The suites StrykerJS runs against each mutant (npm run mutation), per folder (MUTATION_SCOPE):
 * the domain against its unit and delivery tests (the HTTP suites per mutant would take hours);
 * the stores against the unit tests and the store contract on SQLite; HTTP against the unit
 * tests and the HTTP behaviour on SQLite. Left out everywhere: the load and timing suites, which
 * exercise the same code but take seconds to minutes each, and the suites that wait on timers.
 *
 * One flat project, not jest's `projects`: StrykerJS activates a mutant through the test
 * environment it installs, and a project that names its own environment would run every
 * mutant's tests on the unmutated code (every mutant "survives").
 */
const base = require('./jest.config.js');

const scope = process.env.MUTATION_SCOPE ?? 'ipn';
const SLOW = ['timing', 'regex-dos', 'storage-abuse', 'slow-clients', 'full-disk', 'commit-queue', 'apply-order.property', 'authentic-junk'];
// Waiting on timers (retries, backoff, restarts): 28 of the HTTP suites' 57 seconds for 11 tests,
// run for every mutant on the callback path. Left out, so each score is a lower bound; the
// outbox and confirmation rules they touch have their own store suites, which stay in.
const WAITING = ['events', 'confirmation-operations', 'restart'];
// The hostile corpus (499 requests, 8 s) reaches every mutant on the request path; for the HTTP
// scope it is left out too (the answer table, negotiation and routing have their own suites).
const CORPUS = process.env.MUTATION_SCOPE === 'http' ? ['hostile-input'] : [];
const SUITES = { ipn: ['unit', 'delivery'], store: ['unit', 'sqlite'], http: ['unit', 'sqlite'] };
const SQLITE_FOLDER = { store: '<rootDir>/test/store/**/*.test.ts', http: '<rootDir>/test/http/**/*.test.ts' };

const chosen = base.projects.filter((project) => SUITES[scope].includes(project.displayName));
const unique = (items) => [...new Set(items)];

module.exports = {
  testTimeout: base.testTimeout,
  maxWorkers: base.maxWorkers,
  globalSetup: base.globalSetup,
  testEnvironment: 'node',
  transform: chosen[0].transform,
  moduleFileExtensions: chosen[0].moduleFileExtensions,
  setupFiles: unique(chosen.flatMap((project) => project.setupFiles ?? [])),
  testMatch: chosen.flatMap((project) => (project.displayName === 'sqlite' ? [SQLITE_FOLDER[scope]] : project.testMatch)),
  testPathIgnorePatterns: [...SLOW, ...WAITING, ...CORPUS].map((name) => `/test/http/${name}\\.test\\.ts$`),
};
