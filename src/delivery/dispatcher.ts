import type { OutboxEvent, OutboxPort } from '../ipn/outbox-ports';
import { nextAttemptAt } from './schedule';
import type { AttemptRecord } from '../ipn/outbox-ports';
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

export interface DispatcherOptions {
  outbox: OutboxPort;
  /** Normally `(event, now) => sendEvent(sendOptions, event, now)`; must not throw. */
  send: (event: EventToSend, now: Date) => Promise<AttemptRecord>;
  clock: () => Date;
  /** [0, 1), for the retry jitter. */
  random: () => number;
  /** Most sends in flight at once (EVENTS_CONCURRENCY). */
  concurrency: number;
  /**
   * How long a leased event stays ours. Make it well above the send timeout plus the time to
   * record the result: a lease that runs out during a send lets another instance send the
   * event again. It is also how long an event of a dead instance waits to be taken over.
   */
  leaseMs: number;
  /** How often to look for due events when nothing wakes the dispatcher. */
  pollIntervalMs: number;
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
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  for (const [name, value] of Object.entries({ leaseMs, pollIntervalMs, retryForMs })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  }
  const onError = options.onError ?? (() => undefined);

  const sending = new Set<Promise<AttemptReport>>();
  let reserved = 0;
  let running = false;
  let filling: Promise<void> | undefined;
  let fillAgain = false;
  let pollTimer: NodeJS.Timeout | undefined;

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

  /** Leases for the free slots and starts a send per event, before anyone else can lease. */
  async function leaseAndSend(): Promise<Array<Promise<AttemptReport>>> {
    const free = concurrency - sending.size - reserved;
    if (free <= 0) return [];
    reserved += free;
    try {
      const now = clock();
      const events = await outbox.lease(free, now, new Date(now.getTime() + leaseMs));
      return events.map((event) => {
        const sent = deliverOnce(event);
        sending.add(sent);
        void sent.finally(() => {
          sending.delete(sent);
          fill();
        });
        return sent;
      });
    } finally {
      reserved -= free;
    }
  }

  function fill(): void {
    if (!running) return;
    if (filling) {
      fillAgain = true;
      return;
    }
    filling = (async () => {
      do {
        fillAgain = false;
        try {
          await leaseAndSend();
        } catch (error) {
          onError(error);
        }
      } while (fillAgain && running);
    })().finally(() => {
      filling = undefined;
      armPoll();
    });
  }

  function armPoll(): void {
    clearTimeout(pollTimer);
    if (!running) return;
    pollTimer = setTimeout(fill, pollIntervalMs);
    pollTimer.unref();
  }

  return {
    start() {
      if (running) return;
      running = true;
      fill();
    },
    async stop(timeoutMs = leaseMs) {
      running = false;
      clearTimeout(pollTimer);
      let deadline: NodeJS.Timeout | undefined;
      const drained = (async () => {
        await filling;
        await Promise.allSettled([...sending]);
        return true;
      })();
      const timedOut = new Promise<boolean>((resolve) => {
        deadline = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([drained, timedOut]);
      } finally {
        clearTimeout(deadline);
      }
    },
    wake() {
      fill();
    },
    async runOnce() {
      return Promise.all(await leaseAndSend());
    },
  };
}
