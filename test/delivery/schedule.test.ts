import fc from 'fast-check';
import { FIRST_RETRY_MS, MAX_RETRY_DELAY_MS, nextAttemptAt, retryCeilingMs } from '../../src/delivery/schedule';

const HOUR = 60 * 60 * 1000;
const THREE_DAYS = 72 * HOUR;
const first = new Date('2026-11-20T14:00:00.000Z');
const attempts = fc.integer({ min: 1, max: 200 });
/** Every value Math.random can return, ends included. */
const unit = fc.oneof(fc.constant(0), fc.constant(1 - 2 ** -53), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }));

/** Every attempt time of an event that always fails, from its first attempt until it is given up. */
function attemptTimes(random: () => number, retryForMs: number): Date[] {
  const times = [first];
  for (;;) {
    const last = times[times.length - 1] as Date;
    const next = nextAttemptAt(times.length, first, last, random, { retryForMs });
    if (!next) return times;
    times.push(next);
  }
}

describe('the retry schedule', () => {
  it('starts at 5 s, doubles each time and stops growing at 6 h (from the 14th failure)', () => {
    expect([1, 2, 3, 4, 12, 13, 14, 15, 1000].map(retryCeilingMs)).toEqual([
      5_000, 10_000, 20_000, 40_000, 10_240_000, 20_480_000, 21_600_000, 21_600_000, 21_600_000,
    ]);
    expect(FIRST_RETRY_MS).toBe(5_000);
    expect(MAX_RETRY_DELAY_MS).toBe(6 * HOUR);
  });

  it('has a ceiling that never decreases from one failure to the next and stays within 5 s and 6 h', () => {
    fc.assert(
      fc.property(attempts, (n) => {
        expect(retryCeilingMs(n + 1)).toBeGreaterThanOrEqual(retryCeilingMs(n));
        expect(retryCeilingMs(n)).toBeGreaterThanOrEqual(FIRST_RETRY_MS);
        expect(retryCeilingMs(n)).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
      }),
    );
  });

  it('waits between half the ceiling (random 0) and just under the ceiling (random close to 1)', () => {
    fc.assert(
      fc.property(attempts, unit, fc.integer({ min: 0, max: 10 * HOUR }), (n, r, sinceFirst) => {
        const now = new Date(first.getTime() + sinceFirst);
        const next = nextAttemptAt(n, first, now, () => r, { retryForMs: 1000 * HOUR });
        const ceiling = retryCeilingMs(n);
        const delay = (next as Date).getTime() - now.getTime();
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThan(ceiling);
        expect(delay).toBe(Math.min(ceiling - 1, ceiling / 2 + Math.floor((r * ceiling) / 2)));
      }),
    );
    expect(nextAttemptAt(1, first, first, () => 0, { retryForMs: THREE_DAYS })).toEqual(new Date(first.getTime() + 2_500));
    expect(nextAttemptAt(1, first, first, () => 0.5, { retryForMs: THREE_DAYS })).toEqual(new Date(first.getTime() + 3_750));
  });

  it('schedules nothing after firstAttemptAt + retryFor and gives up (null) exactly when the next time would fall after it', () => {
    fc.assert(
      fc.property(attempts, unit, fc.integer({ min: 0, max: 10 * HOUR }), fc.integer({ min: 0, max: 10 * HOUR }), (n, r, sinceFirst, retryForMs) => {
        const now = new Date(first.getTime() + sinceFirst);
        const next = nextAttemptAt(n, first, now, () => r, { retryForMs });
        const unbounded = nextAttemptAt(n, first, now, () => r, { retryForMs: Number.MAX_SAFE_INTEGER }) as Date;
        const deadline = first.getTime() + retryForMs;
        expect(next).toEqual(unbounded.getTime() <= deadline ? unbounded : null);
      }),
    );
  });

  it('tries an always-failing event 36 times over 3 days when every jitter is the shortest, 24 times when the longest', () => {
    for (const [random, count] of [
      [() => 0, 36],
      [() => 1 - 2 ** -53, 24],
    ] as const) {
      const times = attemptTimes(random, THREE_DAYS);
      expect(times).toHaveLength(count);
      expect((times[times.length - 1] as Date).getTime() - first.getTime()).toBeLessThanOrEqual(THREE_DAYS);
    }
  });

  it('keeps any always-failing event within 3 days of its first attempt, its gaps within the jitter range of each failure', () => {
    fc.assert(
      fc.property(fc.array(unit, { minLength: 40, maxLength: 40 }), (draws) => {
        let i = 0;
        const times = attemptTimes(() => draws[i++ % draws.length] as number, THREE_DAYS);
        expect(times.length).toBeGreaterThanOrEqual(24);
        expect(times.length).toBeLessThanOrEqual(36);
        times.slice(1).forEach((time, k) => {
          const gap = time.getTime() - (times[k] as Date).getTime();
          expect(gap).toBeGreaterThanOrEqual(retryCeilingMs(k + 1) / 2);
          expect(gap).toBeLessThan(retryCeilingMs(k + 1));
        });
        expect((times[times.length - 1] as Date).getTime()).toBeLessThanOrEqual(first.getTime() + THREE_DAYS);
      }),
      { numRuns: 200 },
    );
  });

  it('makes exactly one attempt when retryFor is 0', () => {
    expect(attemptTimes(() => 0, 0)).toEqual([first]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %p as a number of attempts', (n) => {
    expect(() => nextAttemptAt(n, first, first, () => 0, { retryForMs: THREE_DAYS })).toThrow(RangeError);
  });
});
