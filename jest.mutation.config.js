/**
 * The suites StrykerJS runs against each mutant (npm run mutation): the unit tests and the SQLite
 * project (the store contract and every HTTP behaviour), which cover src/ipn, src/http and
 * src/store. Not part of npm test.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  projects: base.projects.filter((project) => project.displayName === 'unit' || project.displayName === 'sqlite'),
};
