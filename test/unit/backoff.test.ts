import fc from 'fast-check';
import { nextAttemptAt, retryCeilingMs } from '../../src/delivery/schedule';
import { backoffCeilingMs, nextTryAt } from '../../src/retry/backoff';

// The one backoff both retrying parts share, with the confirmation's figures (10 s to 1 h, for
// 3 days); the delivery's figures are tested in test/delivery/schedule.test.ts.

const HOUR = 60 * 60 * 1000;
const CONFIRMATION = { firstDelayMs: 10_000, maxDelayMs: HOUR, retryForMs: 72 * HOUR };
const first = new Date('2026-11-20T14:00:00.000Z');

function tryTimes(random: () => number): Date[] {
  const times = [first];
  for (;;) {
    const next = nextTryAt(times.length, first, times[times.length - 1] as Date, random, CONFIRMATION);
    if (!next) return times;
    times.push(next);
  }
}

describe('the shared backoff with the confirmation figures', () => {
  it('has a ceiling of 10 s after the first failure, doubling each time, capped at 1 h from the 10th failure', () => {
    expect([1, 2, 3, 9, 10, 11, 500].map((n) => backoffCeilingMs(n, CONFIRMATION))).toEqual([
      10_000, 20_000, 40_000, 2_560_000, HOUR, HOUR, HOUR,
    ]);
  });

  it('waits 5 s after the first failure with the shortest jitter and just under 10 s with the longest', () => {
    expect(nextTryAt(1, first, first, () => 0, CONFIRMATION)).toEqual(new Date(first.getTime() + 5_000));
    expect(nextTryAt(1, first, first, () => 1 - 2 ** -53, CONFIRMATION)).toEqual(new Date(first.getTime() + 9_999));
  });

  it('tries 152 times over 3 days when every jitter is the shortest and 80 times when the longest, never after 3 days', () => {
    for (const [random, count] of [
      [() => 0, 152],
      [() => 1 - 2 ** -53, 80],
    ] as const) {
      const times = tryTimes(random);
      expect(times).toHaveLength(count);
      expect((times[times.length - 1] as Date).getTime() - first.getTime()).toBeLessThanOrEqual(72 * HOUR);
    }
  });

  it('keeps every gap between half and all of its ceiling, whatever the jitter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const next = nextTryAt(n, first, first, () => r, { ...CONFIRMATION, retryForMs: Number.MAX_SAFE_INTEGER }) as Date;
        const gap = next.getTime() - first.getTime();
        expect(gap).toBeGreaterThanOrEqual(backoffCeilingMs(n, CONFIRMATION) / 2);
        expect(gap).toBeLessThan(backoffCeilingMs(n, CONFIRMATION));
      }),
    );
  });

  it('gives the delivery schedule exactly its own figures (5 s to 6 h) through the same function', () => {
    const delivery = { firstDelayMs: 5_000, maxDelayMs: 6 * HOUR };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        expect(retryCeilingMs(n)).toBe(backoffCeilingMs(n, delivery));
        expect(nextAttemptAt(n, first, first, () => r, { retryForMs: 72 * HOUR })).toEqual(
          nextTryAt(n, first, first, () => r, { ...delivery, retryForMs: 72 * HOUR }),
        );
      }),
    );
  });
});
