/**
 * The loop shared by the event dispatcher and the confirmation worker: lease due work for the
 * free slots, run each item, lease again as slots free up, when woken, or at each poll. Nothing
 * is queued in memory beyond the leased items, so at most `concurrency` run at once and a crash
 * loses nothing (a lease that is never recorded expires and the item is leased again).
 */
/** How a lease loop runs (EVENTS_* or CONFIRMATION_* settings). */
export interface LeaseSettings {
  /** Most items running at once in this instance. */
  concurrency: number;
  /**
   * How long a leased item stays this instance's. Make it well above the work's timeout plus the
   * time to record the result: a lease that runs out mid-work lets another instance do it again.
   * It is also how long an item of a dead instance waits to be taken over.
   */
  leaseMs: number;
  /** How often to look for due items when nothing wakes the loop. */
  pollIntervalMs: number;
}

export interface LeasePumpOptions<Item, Result> extends LeaseSettings {
  /** Up to `limit` due items, leased until `leaseUntil`. */
  lease: (limit: number, now: Date, leaseUntil: Date) => Promise<Item[]>;
  /** Runs one leased item; must not throw. */
  run: (item: Item) => Promise<Result>;
  clock: () => Date;
  /** A lease failed (store unreachable); the pump carries on at the next poll. */
  onError: (error: unknown) => void;
}

export interface LeasePump<Result> {
  /** Starts polling. */
  start(): void;
  /** Stops leasing and polling; the items running go on. */
  halt(): void;
  /** Looks for due items now. */
  wake(): void;
  /** Leases for the free slots now and runs what it got; resolves with the results. */
  runOnce(): Promise<Result[]>;
  /** Resolves true once nothing is being leased or run, or false after `ms`. */
  settledWithin(ms: number): Promise<boolean>;
}

export function createLeasePump<Item, Result>(options: LeasePumpOptions<Item, Result>): LeasePump<Result> {
  const { lease, run, clock, concurrency, leaseMs, pollIntervalMs, onError } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  for (const [name, value] of Object.entries({ leaseMs, pollIntervalMs })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  }
  const inFlight = new Set<Promise<Result>>();
  let reserved = 0;
  let running = false;
  let filling: Promise<void> | undefined;
  let fillAgain = false;
  let pollTimer: NodeJS.Timeout | undefined;

  /** Leases for the free slots and starts each item, before anyone else can lease. */
  async function leaseAndRun(): Promise<Array<Promise<Result>>> {
    const free = concurrency - inFlight.size - reserved;
    if (free <= 0) return [];
    reserved += free;
    try {
      const now = clock();
      const items = await lease(free, now, new Date(now.getTime() + leaseMs));
      return items.map((item) => {
        const done = run(item);
        inFlight.add(done);
        void done.finally(() => {
          inFlight.delete(done);
          fill();
        });
        return done;
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
          await leaseAndRun();
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
    halt() {
      running = false;
      clearTimeout(pollTimer);
    },
    wake: fill,
    async runOnce() {
      return Promise.all(await leaseAndRun());
    },
    async settledWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      const settled = (async () => {
        await filling;
        await Promise.allSettled([...inFlight]);
        return true;
      })();
      try {
        return await Promise.race([settled, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
