/**
 * One seed per test run (jest's global setup, before any worker starts, so every worker inherits
 * it): TEST_SEED if given, else a fresh one. Property tests (fast-check), the events run and
 * the crash test draw from it; a failing run is replayed with `TEST_SEED=<seed> npm test`.
 */
export default function chooseSeed(): void {
  process.env.TEST_SEED ??= String(Math.floor(Math.random() * 2 ** 31));
  process.stdout.write(`\nTEST_SEED=${process.env.TEST_SEED} (replay a failure with TEST_SEED=${process.env.TEST_SEED} npm test)\n`);
}
