/** A clock that moves only when a test moves it, so hours of retries take no time. */
export interface ManualClock {
  now(): Date;
  set(to: Date): void;
  advance(ms: number): void;
}

export function createManualClock(start = new Date('2026-11-20T14:00:00.000Z')): ManualClock {
  let time = start.getTime();
  return {
    now: () => new Date(time),
    set(to) {
      if (to.getTime() < time) throw new Error(`the clock does not go back (${new Date(time).toISOString()} to ${to.toISOString()})`);
      time = to.getTime();
    },
    advance(ms) {
      if (ms < 0) throw new Error('the clock does not go back');
      time += ms;
    },
  };
}
