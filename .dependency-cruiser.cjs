/** The layers of src/ and the directions imports may take between them (checked in npm test). */
const layer = (name) => `^src/${name}/`;

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Import cycles hide which module depends on which.', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'domain-stays-pure',
      severity: 'error',
      comment: 'The domain (src/ipn) is plain functions over plain data: no transport, storage, CLI or outside service.',
      from: { path: layer('ipn') },
      to: { path: ['^src/(http|store|cli|delivery|qvickly|observability|secrets)/', '^src/(main|config|contract)\\.ts$'] },
    },
    {
      name: 'store-below-transport',
      severity: 'error',
      comment: 'Stores implement the domain ports; they never reach up into HTTP, the CLI or the composition root.',
      from: { path: layer('store') },
      to: { path: ['^src/(http|cli|delivery|qvickly)/', '^src/main\\.ts$'] },
    },
    {
      name: 'http-is-transport-only',
      severity: 'error',
      comment: 'HTTP maps requests to the domain and answers; it does not run the CLI or the workers.',
      from: { path: layer('http') },
      to: { path: ['^src/(cli|delivery)/', '^src/main\\.ts$'] },
    },
    {
      name: 'adapters-stay-apart',
      severity: 'error',
      comment: 'The Qvickly client, the webhook dispatcher and the secrets box know nothing of HTTP, stores or the CLI.',
      from: { path: '^src/(qvickly|delivery|secrets)/' },
      to: { path: ['^src/(http|store|cli)/', '^src/main\\.ts$'] },
    },
    {
      name: 'client-is-for-partners',
      severity: 'error',
      comment: 'The typed client is what partners import: it must not pull in the service.',
      from: { path: layer('client') },
      to: { path: ['^src/(http|store|cli|delivery|qvickly|observability)/', '^src/(main|config|contract)\\.ts$'] },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
