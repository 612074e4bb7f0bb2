import type { EventType } from '../../src/ipn/event-body';
import type { EventLease, GivenUpState, OutboxEvent, OutboxPort } from '../../src/ipn/outbox-ports';
import type { AttemptRecord } from '../../src/ipn/outbox-ports';

export type EventState = 'pending' | 'delivered' | GivenUpState;

export interface EventToRecord {
  eventId: string;
  type: EventType;
  companyId: string;
  number: string;
  body: string;
}

interface Row extends EventToRecord {
  sequence: number;
  createdAt: number;
  state: EventState;
  firstAttemptAt: string | null;
  nextAttemptAt: number | null;
  leasedUntil: number | null;
  leaseToken: string | null;
  attempts: AttemptRecord[];
}

/**
 * The outbox in memory, with the ordering and lease rules of OutboxPort: the reference the
 * SQLite and PostgreSQL outboxes are tested against, and the outbox of the dispatcher tests.
 * Several dispatchers may share one, like instances sharing a database.
 */
export interface MemoryOutbox extends OutboxPort {
  /** Records an event, as the store does in the transaction of the change it describes. */
  record(event: EventToRecord, now: Date): void;
  stateOf(eventId: string): EventState;
  attemptsOf(eventId: string): readonly AttemptRecord[];
  /** The ids recorded for a payment, in recording order. */
  eventsOf(companyId: string, number: string): string[];
  /** How many events are pending (not delivered, failed or gone). */
  pendingCount(): number;
  /**
   * The earliest time at which lease() could return an event that it cannot return at `now`
   * (a next attempt or a lease expiry of a payment's oldest pending event), or null.
   */
  nextChangeAfter(now: Date): Date | null;
}

const paymentKey = (event: { companyId: string; number: string }): string => `${event.companyId}\u0000${event.number}`;

export function createMemoryOutbox(): MemoryOutbox {
  const rows = new Map<string, Row>();
  let sequence = 0;
  let leases = 0;

  const dueAt = (row: Row): number => row.nextAttemptAt ?? row.createdAt;

  /** The oldest pending event of each payment: the only one that may be leased. */
  function heads(): Row[] {
    const head = new Map<string, Row>();
    for (const row of rows.values()) {
      if (row.state !== 'pending') continue;
      const key = paymentKey(row);
      const current = head.get(key);
      if (!current || row.sequence < current.sequence) head.set(key, row);
    }
    return [...head.values()];
  }

  function leased(lease: EventLease): Row | undefined {
    const row = rows.get(lease.eventId);
    return row && row.state === 'pending' && row.leaseToken === lease.leaseToken ? row : undefined;
  }

  function settle(row: Row, attempt: AttemptRecord): void {
    row.attempts.push(attempt);
    row.firstAttemptAt ??= attempt.attemptedAt;
    row.leasedUntil = null;
    row.leaseToken = null;
  }

  const get = (eventId: string): Row => {
    const row = rows.get(eventId);
    if (!row) throw new Error(`no event ${eventId}`);
    return row;
  };

  return {
    record(event, now) {
      if (rows.has(event.eventId)) throw new Error(`event ${event.eventId} recorded twice`);
      rows.set(event.eventId, {
        ...event,
        sequence: ++sequence,
        createdAt: now.getTime(),
        state: 'pending',
        firstAttemptAt: null,
        nextAttemptAt: null,
        leasedUntil: null,
        leaseToken: null,
        attempts: [],
      });
    },

    async lease(limit, now, leaseUntil) {
      const at = now.getTime();
      const due = heads()
        .filter((row) => dueAt(row) <= at && (row.leasedUntil === null || row.leasedUntil <= at))
        .sort((a, b) => dueAt(a) - dueAt(b) || a.sequence - b.sequence)
        .slice(0, Math.max(0, limit));
      return due.map((row): OutboxEvent => {
        row.leasedUntil = leaseUntil.getTime();
        row.leaseToken = String(++leases);
        return {
          eventId: row.eventId,
          type: row.type,
          companyId: row.companyId,
          number: row.number,
          body: row.body,
          attempts: row.attempts.length,
          createdAt: new Date(row.createdAt).toISOString(),
          firstAttemptAt: row.firstAttemptAt,
          leaseToken: row.leaseToken,
        };
      });
    },

    async delivered(lease, attempt) {
      const row = leased(lease);
      if (!row) return false;
      settle(row, attempt);
      row.state = 'delivered';
      return true;
    },

    async retryLater(lease, attempt, nextAttemptAt) {
      const row = leased(lease);
      if (!row) return false;
      settle(row, attempt);
      row.nextAttemptAt = nextAttemptAt.getTime();
      return true;
    },

    async giveUp(lease, attempt, state) {
      const row = leased(lease);
      if (!row) return false;
      settle(row, attempt);
      row.state = state;
      return true;
    },

    stateOf: (eventId) => get(eventId).state,
    attemptsOf: (eventId) => [...get(eventId).attempts],
    eventsOf: (companyId, number) =>
      [...rows.values()]
        .filter((row) => row.companyId === companyId && row.number === number)
        .sort((a, b) => a.sequence - b.sequence)
        .map((row) => row.eventId),
    pendingCount: () => [...rows.values()].filter((row) => row.state === 'pending').length,

    nextChangeAfter(now) {
      const at = now.getTime();
      const times = heads()
        .map((row) => Math.max(dueAt(row), row.leasedUntil ?? 0))
        .filter((time) => time > at);
      return times.length > 0 ? new Date(Math.min(...times)) : null;
    },
  };
}
