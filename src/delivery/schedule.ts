import { backoffCeilingMs, nextTryAt } from '../retry/backoff';

/**
 * When to try a failed event again (the shared backoff of src/retry/backoff.ts).
 *
 * After the n-th failed attempt (n = 1, 2, …) the event waits a random time between half and
 * all of `min(5 s × 2ⁿ⁻¹, 6 h)` ("equal jitter"): 2.5–5 s after the first failure, 5–10 s,
 * 10–20 s, 20–40 s, …, 2.8–5.7 h after the 13th, and 3–6 h after the 14th and every later
 * one. The random half spreads out events that failed together (a receiver that was down),
 * so they do not all come back at the same instant; the fixed half keeps the backoff growing.
 * No attempt is scheduled after `firstAttemptAt + retryForMs`: the event is then given up
 * (`failed`). With the default 3 days that makes 24 to 36 attempts in all.
 */

export const FIRST_RETRY_MS = 5_000;
export const MAX_RETRY_DELAY_MS = 6 * 60 * 60 * 1000;
const DELIVERY_BACKOFF = { firstDelayMs: FIRST_RETRY_MS, maxDelayMs: MAX_RETRY_DELAY_MS };

export interface RetryPolicy {
  /** How long after its first attempt an event is still tried (EVENTS_RETRY_FOR). */
  retryForMs: number;
}

/** The longest wait after the `attempts`-th failed attempt; the shortest is half of it. */
export function retryCeilingMs(attempts: number): number {
  return backoffCeilingMs(attempts, DELIVERY_BACKOFF);
}

/**
 * The time of the next attempt after `attempts` failed ones, the last at `now`, or null when
 * it would fall after `firstAttemptAt + retryForMs` (give up). `random` returns [0, 1).
 */
export function nextAttemptAt(
  attempts: number,
  firstAttemptAt: Date,
  now: Date,
  random: () => number,
  policy: RetryPolicy,
): Date | null {
  return nextTryAt(attempts, firstAttemptAt, now, random, { ...DELIVERY_BACKOFF, retryForMs: policy.retryForMs });
}
