import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type {
  AttemptRecord,
  EventBacklog,
  EventDetail,
  EventFilter,
  EventLease,
  EventLedger,
  EventSummary,
  GivenUpState,
  OutboxEvent,
  Redelivery,
} from '../../ipn/outbox-ports';
import {
  ATTEMPT_COLUMNS,
  BLOCKING_STATES,
  RESENDABLE_STATES,
  attemptValues,
  lastErrorOf,
  toEventBacklog,
  toEventDetail,
  toEventSummary,
  toOutboxEvent,
} from '../event-rows';
import type { Row } from '../rows';
import { queryPool } from './pool';

// SKIP LOCKED: instances polling at once take different events instead of waiting for each
// other. An event whose lease another instance is taking is skipped, and its payment's later
// events stay blocked by it (it is still pending), so order per payment holds across instances.
const LEASE = `
  WITH due AS (
    SELECT e.sequence FROM payment_events e
    WHERE e.state = 'pending' AND e.next_attempt_at <= $1 AND (e.lease_until IS NULL OR e.lease_until <= $1)
      AND NOT EXISTS (SELECT 1 FROM payment_events p
                      WHERE p.company_id = e.company_id AND p.number = e.number AND p.sequence < e.sequence AND p.state IN ${BLOCKING_STATES})
    ORDER BY e.next_attempt_at, e.sequence
    LIMIT $3
    FOR UPDATE OF e SKIP LOCKED)
  UPDATE payment_events e SET lease_token = $4, lease_until = $2 FROM due WHERE e.sequence = due.sequence
  RETURNING e.*`;

// The result and its attempt in one statement: the attempt is logged only when the lease held.
const settleWith = (set: string): string => `
  WITH settled AS (
    UPDATE payment_events SET ${set}, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, $3::timestamptz),
      lease_token = NULL, lease_until = NULL
    WHERE event_id = $1 AND lease_token = $2 AND state = 'pending'
    RETURNING event_id)
  INSERT INTO event_attempts (${ATTEMPT_COLUMNS.join(', ')})
  SELECT event_id, $3, $4, $5, $6, $7 FROM settled`;

const DELIVERED = settleWith(`state = 'delivered', settled_at = $3, last_error = $8`);
const RETRY_LATER = settleWith('next_attempt_at = $9, last_error = $8');
const GIVE_UP = settleWith('state = $9, settled_at = $3, last_error = $8');

const LIST = `
  SELECT * FROM payment_events WHERE ($1::text IS NULL OR company_id = $1) AND ($2::text IS NULL OR state = $2)
  ORDER BY sequence DESC LIMIT $3`;

const REDELIVER = `
  UPDATE payment_events SET state = 'pending', next_attempt_at = $2, attempts = 0, first_attempt_at = NULL, settled_at = NULL,
    lease_token = NULL, lease_until = NULL
  WHERE event_id = $1 AND state IN ${RESENDABLE_STATES}`;

const REDELIVER_FAILED = `
  UPDATE payment_events SET state = 'pending', next_attempt_at = $2, attempts = 0, first_attempt_at = NULL, settled_at = NULL,
    lease_token = NULL, lease_until = NULL
  WHERE state = 'failed' AND ($1::text IS NULL OR company_id = $1)`;

const PRUNE = `
  WITH pruned AS (DELETE FROM payment_events WHERE state = 'delivered' AND settled_at < $1 RETURNING event_id),
       attempts AS (DELETE FROM event_attempts WHERE event_id IN (SELECT event_id FROM pruned))
  SELECT COUNT(*) AS count FROM pruned`;

const BACKLOG = `
  SELECT state, COUNT(*) AS count, MIN(occurred_at) FILTER (WHERE state = 'pending') AS oldest_pending_at
  FROM payment_events GROUP BY state`;

/** The outbox on PostgreSQL, safe with several instances (see LEASE); one round trip per call. */
export class PostgresOutbox implements EventLedger {
  constructor(private readonly pool: pg.Pool) {}

  private query(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    return queryPool(this.pool, text, values);
  }

  async lease(limit: number, now: Date, leaseUntil: Date): Promise<OutboxEvent[]> {
    if (limit < 1) return [];
    const { rows } = await this.query(LEASE, [now, leaseUntil, limit, randomUUID()]);
    const byDue = (a: Row, b: Row): number =>
      String(a.next_attempt_at).localeCompare(String(b.next_attempt_at)) || Number(a.sequence) - Number(b.sequence);
    return rows.sort(byDue).map(toOutboxEvent);
  }

  private async settle(statement: string, lease: EventLease, attempt: AttemptRecord, extra: unknown[]): Promise<boolean> {
    const { rowCount } = await this.query(statement, [lease.eventId, lease.leaseToken, ...attemptValues(lease.eventId, attempt).slice(1), lastErrorOf(attempt), ...extra]);
    return rowCount === 1;
  }

  delivered(lease: EventLease, attempt: AttemptRecord): Promise<boolean> {
    return this.settle(DELIVERED, lease, attempt, []);
  }

  retryLater(lease: EventLease, attempt: AttemptRecord, nextAttemptAt: Date): Promise<boolean> {
    return this.settle(RETRY_LATER, lease, attempt, [nextAttemptAt]);
  }

  giveUp(lease: EventLease, attempt: AttemptRecord, state: GivenUpState): Promise<boolean> {
    return this.settle(GIVE_UP, lease, attempt, [state]);
  }

  async list(filter: EventFilter): Promise<EventSummary[]> {
    const { rows } = await this.query(LIST, [filter.companyId ?? null, filter.state ?? null, filter.limit ?? 100]);
    return rows.map(toEventSummary);
  }

  async show(eventId: string): Promise<EventDetail | undefined> {
    const [event, attempts] = await Promise.all([
      this.query('SELECT * FROM payment_events WHERE event_id = $1', [eventId]),
      this.query('SELECT * FROM event_attempts WHERE event_id = $1 ORDER BY attempted_at, ctid', [eventId]),
    ]);
    const row = event.rows[0];
    return row && toEventDetail(row, attempts.rows);
  }

  async redeliver(eventId: string, now: Date): Promise<Redelivery> {
    const { rowCount } = await this.query(REDELIVER, [eventId, now]);
    if (rowCount === 1) return 'queued';
    const { rows } = await this.query('SELECT state FROM payment_events WHERE event_id = $1', [eventId]);
    if (rows.length === 0) return 'unknown';
    return rows[0]?.state === 'pending' ? 'already-pending' : 'not-sendable';
  }

  async redeliverFailed(companyId: string | undefined, now: Date): Promise<number> {
    const { rowCount } = await this.query(REDELIVER_FAILED, [companyId ?? null, now]);
    return rowCount ?? 0;
  }

  async pruneDelivered(before: Date): Promise<number> {
    const { rows } = await this.query(PRUNE, [before]);
    return Number(rows[0]?.count ?? 0);
  }

  async backlog(): Promise<EventBacklog> {
    const { rows } = await this.query(BACKLOG, []);
    return toEventBacklog(rows, rows.find((row) => row.state === 'pending')?.oldest_pending_at ?? null);
  }
}
