import fc from 'fast-check';

// Every fast-check property of this run uses the run's seed (see seed-setup.ts).
if (process.env.TEST_SEED !== undefined) fc.configureGlobal({ seed: Number(process.env.TEST_SEED) });
