/**
 * Exponential backoff with "equal jitter", shared by everything that retries (event delivery,
 * confirmation with Qvickly).
 *
 * After the n-th failure (n = 1, 2, …) the next try waits a random time between half and all of
 * `min(firstDelayMs × 2ⁿ⁻¹, maxDelayMs)`. The random half spreads out what failed together (a
 * receiver or Qvickly that was down), so it does not all come back at the same instant; the fixed
 * half keeps the backoff growing. No try is scheduled after `firstAt + retryForMs`: the caller
 * then gives up.
 */
export interface Backoff {
  /** The longest wait after the first failure (the shortest is half of it). */
  firstDelayMs: number;
  /** The longest wait ever. */
  maxDelayMs: number;
}

export interface RetryWindow extends Backoff {
  /** How long after the first try (or the start of a run of tries) a try is still made. */
  retryForMs: number;
}

/** The longest wait after the `failures`-th failure; the shortest is half of it. */
export function backoffCeilingMs(failures: number, backoff: Backoff): number {
  if (!Number.isInteger(failures) || failures < 1) throw new RangeError(`attempts must be a positive integer, got ${failures}`);
  // The exponent is capped so large counts stay finite; the ceiling is far past any cap by then.
  return Math.min(backoff.maxDelayMs, backoff.firstDelayMs * 2 ** Math.min(failures - 1, 64));
}

/**
 * The time of the next try after `failures` failed ones, the last at `now`, or null when it would
 * fall after `firstAt + retryForMs` (give up). `random` returns [0, 1).
 */
export function nextTryAt(failures: number, firstAt: Date, now: Date, random: () => number, window: RetryWindow): Date | null {
  const half = backoffCeilingMs(failures, window) / 2;
  // Clamped: a random() just under 1 can otherwise round up to the ceiling itself.
  const jitter = Math.min(Math.max(half - 1, 0), Math.max(0, Math.floor(random() * half)));
  const next = now.getTime() + half + jitter;
  return next > firstAt.getTime() + window.retryForMs ? null : new Date(next);
}
