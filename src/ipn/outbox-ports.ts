import type { EventType } from './event-body';

/** What the receiver's answer means for the event. */
export type Verdict = 'delivered' | 'retry' | 'gone';

/** One attempt to deliver an event, as the outbox keeps it. */
export interface AttemptRecord {
  /** When the attempt started (ISO 8601); also the signed `webhook-timestamp`. */
  attemptedAt: string;
  /** The answer's status, or null when none arrived in full (timeout, connection error). */
  statusCode: number | null;
  durationMs: number;
  /** Why no answer arrived, or null when one did. */
  error: string | null;
  verdict: Verdict;
}

/**
 * Events waiting to be delivered, as the dispatcher sees them. Implemented by the SQLite and
 * PostgreSQL stores (events are recorded in the same transaction as the change they describe)
 * and by test/support/memory-outbox.ts, the reference the stores are tested against.
 *
 * An event is `pending` until it is `delivered`, `failed` (retried for EVENTS_RETRY_FOR) or
 * `gone` (the receiver answered 410). The events of one payment (companyId, number) are
 * delivered in the order they were recorded: an event can be leased only when no event of its
 * payment recorded before it is still pending. A pending event holds the later ones while it
 * is leased and while it waits for its next attempt. A `failed` or `gone` event does not hold
 * them: it has been given up and is left for an operator, and holding the payment's later
 * news behind it for good would turn one bad event into a silent outage of that payment.
 * Events of other payments are never held.
 */
export interface OutboxEvent {
  eventId: string;
  type: EventType;
  companyId: string;
  number: string;
  /** The JSON text to send, byte for byte (see eventBody). */
  body: string;
  /** Attempts made before this lease. */
  attempts: number;
  createdAt: string;
  firstAttemptAt: string | null;
  /** Names this lease; a result reported with an older lease is ignored. */
  leaseToken: string;
}

/** Which lease a result belongs to. */
export type EventLease = Pick<OutboxEvent, 'eventId' | 'leaseToken'>;

export type GivenUpState = 'failed' | 'gone';

export interface OutboxPort {
  /**
   * Up to `limit` events that are due at `now` (recorded, or their next attempt's time has
   * come), each the oldest pending event of its payment and not leased by anyone until after
   * `now`, earliest due first; leases them until `leaseUntil` under a new `leaseToken`. A
   * lease that expires (its dispatcher died or hung) makes the event leasable again.
   */
  lease(limit: number, now: Date, leaseUntil: Date): Promise<OutboxEvent[]>;
  /**
   * Each records the attempt (attempts + 1, firstAttemptAt set on the first), ends the lease
   * and moves the event on, atomically, and resolves true; or changes nothing and resolves
   * false when `lease` is no longer the event's lease (it expired and another dispatcher
   * leased the event) or the event is no longer pending.
   */
  delivered(lease: EventLease, attempt: AttemptRecord): Promise<boolean>;
  retryLater(lease: EventLease, attempt: AttemptRecord, nextAttemptAt: Date): Promise<boolean>;
  giveUp(lease: EventLease, attempt: AttemptRecord, state: GivenUpState): Promise<boolean>;
}

/**
 * Every state an event can be in: `held` waits for its payment's confirmation with Qvickly (and
 * holds the payment's later events like a pending one); `withheld` was not confirmed and is
 * never sent; the rest as above.
 */
export type EventState = 'held' | 'pending' | 'delivered' | 'failed' | 'gone' | 'withheld';
export const EVENT_STATES: readonly EventState[] = ['held', 'pending', 'delivered', 'failed', 'gone', 'withheld'];

/** One event as operators list it. */
export interface EventSummary {
  eventId: string;
  type: EventType;
  state: EventState;
  companyId: string;
  number: string;
  bookingId: string;
  status: string;
  occurredAt: string;
  attempts: number;
  /** When a pending event is tried next; null in every other state. */
  nextAttemptAt: string | null;
  /** When it was delivered, given up or withheld. */
  settledAt: string | null;
  /** The last failed attempt's status code or error. */
  lastError: string | null;
}

/** One event with the body it is sent with and every attempt, oldest first (`events show`). */
export interface EventDetail extends EventSummary {
  body: string;
  attemptLog: AttemptRecord[];
}

export interface EventFilter {
  companyId?: string;
  state?: EventState;
  limit?: number;
}

/** What `events redeliver <eventId>` did. */
export type Redelivery = 'queued' | 'unknown' | 'already-pending' | 'not-sendable';

/** The outbox at a glance, for /metrics: shared by every instance on one database. */
export interface EventBacklog {
  byState: Record<EventState, number>;
  /** When the oldest pending event was recorded; null when none is pending. */
  oldestPendingAt: string | null;
}

/** The outbox as a store keeps it: the dispatcher's port and what operators read and change. */
export interface EventLedger extends OutboxPort {
  list(filter: EventFilter): Promise<EventSummary[]>;
  show(eventId: string): Promise<EventDetail | undefined>;
  /**
   * Sends a delivered, failed or gone event again from now on, with a fresh retry window (its
   * attempts so far stay in its log). A held or withheld event is not sendable.
   */
  redeliver(eventId: string, now: Date): Promise<Redelivery>;
  /** redeliver() for every failed event (of one company); resolves how many. */
  redeliverFailed(companyId: string | undefined, now: Date): Promise<number>;
  /** Deletes events delivered before `before`, with their attempts; resolves how many. */
  pruneDelivered(before: Date): Promise<number>;
  backlog(): Promise<EventBacklog>;
}
