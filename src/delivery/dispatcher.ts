import type { AttemptRecord, OutboxEvent, OutboxPort } from '../ipn/outbox-ports';
import { createLeasePump, type LeaseSettings } from '../retry/lease-pump';
import { nextAttemptAt } from './schedule';
import type { EventToSend } from './send';

/** What became of an event after one attempt. */
export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'gone';

/** One attempt and its consequence, for metrics and logs. */
export interface AttemptReport {
  event: OutboxEvent;
  attempt: AttemptRecord;
  outcome: AttemptOutcome;
  /** When the event is tried again (outcome `retry`); null otherwise. */
  nextAttemptAt: Date | null;
  /**
   * False when the outbox did not record the result: the lease had expired and another
   * dispatcher took the event over (the event is theirs now), or the outbox failed (onError).
   */
  recorded: boolean;
}

export interface DispatcherOptions extends LeaseSettings {
  outbox: OutboxPort;
  /** Normally `(event, now) => sendEvent(sendOptions, event, now)`; must not throw. */
  send: (event: EventToSend, now: Date) => Promise<AttemptRecord>;
  clock: () => Date;
  /** [0, 1), for the retry jitter. */
  random: () => number;
  /** EVENTS_RETRY_FOR */
  retryForMs: number;
  onAttempt?: (report: AttemptReport) => void;
  /** The outbox failed (store unreachable); the dispatcher carries on at the next poll. */
  onError?: (error: unknown) => void;
}

export interface Dispatcher {
  /** Starts polling; delivery then runs until stop(). */
  start(): void;
  /**
   * Stops leasing, then waits for the sends in flight and their results to be recorded, at
   * most `timeoutMs` (default: leaseMs, after which their leases would expire anyway).
   * Resolves true when nothing was left in flight.
   */
  stop(timeoutMs?: number): Promise<boolean>;
  /** Looks for due events now, e.g. right after a commit that recorded some. */
  wake(): void;
  /** Leases what is due (up to the free slots), sends it, records the results; for tests and tools. */
  runOnce(): Promise<AttemptReport[]>;
}

/**
 * Delivers the outbox's events: leases due events up to the free slots, sends each, and
 * records delivered / retry later / given up. Nothing is queued in memory beyond the leased
 * events being sent, so at most `concurrency` sends are in flight; the order per payment is
 * the outbox's (an event is leased only once its payment's earlier ones are settled).
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { outbox, send, clock, random, concurrency, leaseMs, pollIntervalMs, retryForMs } = options;
  if (!Number.isFinite(retryForMs) || retryForMs < 0) throw new RangeError('retryForMs must be a non-negative number');
  const onError = options.onError ?? (() => undefined);

  async function deliverOnce(event: OutboxEvent): Promise<AttemptReport> {
    const startedAt = clock();
    let attempt: AttemptRecord;
    try {
      attempt = await send(event, startedAt);
    } catch (error) {
      attempt = { attemptedAt: startedAt.toISOString(), statusCode: null, durationMs: 0, error: String(error), verdict: 'retry' };
    }
    let outcome: AttemptOutcome = attempt.verdict;
    let next: Date | null = null;
    let recorded = false;
    try {
      if (attempt.verdict === 'delivered') {
        recorded = await outbox.delivered(event, attempt);
      } else if (attempt.verdict === 'gone') {
        recorded = await outbox.giveUp(event, attempt, 'gone');
      } else {
        // The backoff counts from when the attempt failed, not from when it started.
        const firstAttemptAt = new Date(event.firstAttemptAt ?? attempt.attemptedAt);
        next = nextAttemptAt(event.attempts + 1, firstAttemptAt, clock(), random, { retryForMs });
        if (next) {
          recorded = await outbox.retryLater(event, attempt, next);
        } else {
          outcome = 'failed';
          recorded = await outbox.giveUp(event, attempt, 'failed');
        }
      }
    } catch (error) {
      onError(error);
    }
    const report: AttemptReport = { event, attempt, outcome, nextAttemptAt: next, recorded };
    try {
      options.onAttempt?.(report);
    } catch (error) {
      // A failing metrics or log hook must not become an unhandled rejection of the send.
      onError(error);
    }
    return report;
  }

  const pump = createLeasePump({
    lease: (limit, now, leaseUntil) => outbox.lease(limit, now, leaseUntil),
    run: deliverOnce,
    clock,
    concurrency,
    leaseMs,
    pollIntervalMs,
    onError,
  });

  return {
    start: () => pump.start(),
    async stop(timeoutMs = leaseMs) {
      pump.halt();
      return pump.settledWithin(timeoutMs);
    },
    wake: () => pump.wake(),
    runOnce: () => pump.runOnce(),
  };
}
