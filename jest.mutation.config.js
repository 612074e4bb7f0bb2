/**
 * The suites StrykerJS runs against each mutant (npm run mutation): the unit tests and the SQLite
 * project (the store contract and every HTTP behaviour), which cover src/ipn, src/http and
 * src/store. Not part of npm test. Left out: the load and timing suites, which exercise the
 * same code as the behaviour tests but take seconds to minutes each, per mutant.
 */
const base = require('./jest.config.js');

const SLOW = ['timing', 'regex-dos', 'storage-abuse', 'slow-clients', 'full-disk', 'commit-queue', 'apply-order.property', 'authentic-junk'];

module.exports = {
  ...base,
  projects: base.projects
    .filter((project) => project.displayName === 'unit' || project.displayName === 'sqlite')
    .map((project) => ({ ...project, testPathIgnorePatterns: SLOW.map((name) => `/test/http/${name}\\.test\\.ts$`) })),
};
