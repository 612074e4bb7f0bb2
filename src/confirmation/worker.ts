import { checkConfirmation, type CheckReport, type ConfirmDependencies } from '../ipn/confirm';
import type { ConfirmationCheck } from '../ipn/confirmation-ports';
import { createLeasePump, type LeaseSettings } from '../retry/lease-pump';

export interface ConfirmationWorkerOptions extends ConfirmDependencies, LeaseSettings {
  onCheck?: (report: CheckReport) => void;
  /** The store failed (unreachable, closed); the worker carries on at the next poll. */
  onError?: (error: unknown) => void;
}

export interface ConfirmationWorker {
  /** Starts polling; checks then run until stop(). */
  start(): void;
  /**
   * Stops leasing and waits for the checks in flight to be recorded, at most `timeoutMs`; then
   * ends the ones still waiting for Qvickly and releases their leases (nothing recorded), so
   * another instance or the next start takes them over at once. Resolves true when every check
   * in flight finished by itself.
   */
  stop(timeoutMs: number): Promise<boolean>;
  /** Looks for due checks now. */
  wake(): void;
}

// After the stop's deadline, how long the checks it ended get to release their leases.
const RELEASE_GRACE_MS = 2000;

/**
 * Confirms payments with Qvickly: leases due checks up to the free slots, runs each (ask,
 * judge, record), and leases again as slots free up or at each poll. Nothing is queued in
 * memory beyond the leased checks, so a crash loses nothing: a lease that is never recorded
 * expires and the check is run again.
 */
export function createConfirmationWorker(options: ConfirmationWorkerOptions): ConfirmationWorker {
  const { store, clock, concurrency, leaseMs, pollIntervalMs } = options;
  const onError = options.onError ?? (() => undefined);
  const ending = new AbortController();

  async function run(check: ConfirmationCheck): Promise<void> {
    try {
      const report = await checkConfirmation(options, check, ending.signal);
      if (report) options.onCheck?.(report);
    } catch (error) {
      onError(error);
    }
  }

  const pump = createLeasePump({
    lease: (limit, now, leaseUntil) => store.lease(limit, now, leaseUntil),
    run,
    clock,
    concurrency,
    leaseMs,
    pollIntervalMs,
    onError,
  });

  return {
    start() {
      if (!ending.signal.aborted) pump.start();
    },
    async stop(timeoutMs) {
      pump.halt();
      if (await pump.settledWithin(timeoutMs)) return true;
      ending.abort();
      await pump.settledWithin(RELEASE_GRACE_MS);
      return false;
    },
    wake: () => pump.wake(),
  };
}
