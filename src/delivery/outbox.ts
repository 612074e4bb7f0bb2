import type { EventType } from './event-body';
import type { AttemptRecord } from './send';

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
