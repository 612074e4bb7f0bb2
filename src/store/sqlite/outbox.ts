import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
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
import { SqliteAccess } from './access';
import type { GroupCommit } from './group-commit';

// Due, not leased by anyone, and the oldest event of its payment still to be sent. Walked in
// the order of the due index: left to itself, the planner picks the state index and sorts every
// pending event at each lease, which grows with the backlog.
const DUE = `
  FROM payment_events e INDEXED BY payment_events_due
  WHERE e.state = 'pending' AND e.next_attempt_at <= @now AND (e.lease_until IS NULL OR e.lease_until <= @now)
    AND NOT EXISTS (SELECT 1 FROM payment_events p
                    WHERE p.company_id = e.company_id AND p.number = e.number AND p.sequence < e.sequence AND p.state IN ${BLOCKING_STATES})`;

const RESULT_OF_LEASE = `WHERE event_id = @eventId AND lease_token = @leaseToken AND state = 'pending'`;
const ATTEMPT_DONE = `attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, @attemptedAt), lease_token = NULL, lease_until = NULL`;

function prepare(db: Database.Database) {
  return {
    anyDue: db.prepare(`SELECT 1 ${DUE} LIMIT 1`).pluck(),
    due: db.prepare(`SELECT e.event_id ${DUE} ORDER BY e.next_attempt_at, e.sequence LIMIT @limit`).pluck(),
    takeLease: db.prepare('UPDATE payment_events SET lease_token = ?, lease_until = ? WHERE event_id = ? RETURNING *'),
    delivered: db.prepare(`UPDATE payment_events SET state = 'delivered', settled_at = @attemptedAt, last_error = NULL, ${ATTEMPT_DONE} ${RESULT_OF_LEASE}`),
    retryLater: db.prepare(`UPDATE payment_events SET next_attempt_at = @nextAttemptAt, last_error = @lastError, ${ATTEMPT_DONE} ${RESULT_OF_LEASE}`),
    giveUp: db.prepare(`UPDATE payment_events SET state = @state, settled_at = @attemptedAt, last_error = @lastError, ${ATTEMPT_DONE} ${RESULT_OF_LEASE}`),
    attempt: db.prepare(`INSERT INTO event_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${ATTEMPT_COLUMNS.map(() => '?').join(', ')})`),
    list: db.prepare(
      `SELECT * FROM payment_events WHERE (@companyId IS NULL OR company_id = @companyId) AND (@state IS NULL OR state = @state)
       ORDER BY sequence DESC LIMIT @limit`,
    ),
    find: db.prepare('SELECT * FROM payment_events WHERE event_id = ?'),
    attemptsOf: db.prepare('SELECT * FROM event_attempts WHERE event_id = ? ORDER BY attempted_at, rowid'),
    redeliver: db.prepare(
      `UPDATE payment_events SET state = 'pending', next_attempt_at = @now, attempts = 0, first_attempt_at = NULL, settled_at = NULL,
         lease_token = NULL, lease_until = NULL
       WHERE event_id = @eventId AND state IN ${RESENDABLE_STATES}`,
    ),
    redeliverFailed: db.prepare(
      `UPDATE payment_events SET state = 'pending', next_attempt_at = @now, attempts = 0, first_attempt_at = NULL, settled_at = NULL,
         lease_token = NULL, lease_until = NULL
       WHERE state = 'failed' AND (@companyId IS NULL OR company_id = @companyId)`,
    ),
    pruneAttempts: db.prepare(
      `DELETE FROM event_attempts WHERE event_id IN (SELECT event_id FROM payment_events WHERE state = 'delivered' AND settled_at < ?)`,
    ),
    prune: db.prepare(`DELETE FROM payment_events WHERE state = 'delivered' AND settled_at < ?`),
    anyToPrune: db.prepare(`SELECT 1 FROM payment_events WHERE state = 'delivered' AND settled_at < ? LIMIT 1`).pluck(),
    counts: db.prepare('SELECT state, COUNT(*) AS count FROM payment_events GROUP BY state'),
    oldestPending: db.prepare(`SELECT MIN(occurred_at) FROM payment_events WHERE state = 'pending'`).pluck(),
  };
}

/**
 * The outbox in the embedded store. Writes go through the store's group commit, so a result is
 * durable when it resolves and never interleaves with a callback's write; a poll that finds
 * nothing due costs one read and no transaction.
 */
export class SqliteOutbox implements EventLedger {
  private readonly s: ReturnType<typeof prepare>;

  private readonly access: SqliteAccess;

  constructor(db: Database.Database, commits: GroupCommit) {
    this.s = prepare(db);
    this.access = new SqliteAccess(db, commits);
  }

  async lease(limit: number, now: Date, leaseUntil: Date): Promise<OutboxEvent[]> {
    const at = now.toISOString();
    if (limit < 1 || this.access.read(() => this.s.anyDue.get({ now: at })) === undefined) return [];
    const token = randomUUID();
    const rows = await this.access.write(() =>
      (this.s.due.all({ now: at, limit }) as string[]).map((eventId) => this.s.takeLease.get(token, leaseUntil.toISOString(), eventId) as Row),
    );
    return rows.map(toOutboxEvent);
  }

  private settle(update: Database.Statement, lease: EventLease, attempt: AttemptRecord, extra: Record<string, unknown>): Promise<boolean> {
    const values = { eventId: lease.eventId, leaseToken: lease.leaseToken, attemptedAt: attempt.attemptedAt, lastError: lastErrorOf(attempt), ...extra };
    return this.access.write(() => {
      if (update.run(values).changes !== 1) return false;
      this.s.attempt.run(...attemptValues(lease.eventId, attempt));
      return true;
    });
  }

  delivered(lease: EventLease, attempt: AttemptRecord): Promise<boolean> {
    return this.settle(this.s.delivered, lease, attempt, {});
  }

  retryLater(lease: EventLease, attempt: AttemptRecord, nextAttemptAt: Date): Promise<boolean> {
    return this.settle(this.s.retryLater, lease, attempt, { nextAttemptAt: nextAttemptAt.toISOString() });
  }

  giveUp(lease: EventLease, attempt: AttemptRecord, state: GivenUpState): Promise<boolean> {
    return this.settle(this.s.giveUp, lease, attempt, { state });
  }

  async list(filter: EventFilter): Promise<EventSummary[]> {
    const rows = this.access.read(() => this.s.list.all({ companyId: filter.companyId ?? null, state: filter.state ?? null, limit: filter.limit ?? 100 }) as Row[]);
    return rows.map(toEventSummary);
  }

  async show(eventId: string): Promise<EventDetail | undefined> {
    return this.access.read(() => {
      const row = this.s.find.get(eventId) as Row | undefined;
      return row && toEventDetail(row, this.s.attemptsOf.all(eventId) as Row[]);
    });
  }

  redeliver(eventId: string, now: Date): Promise<Redelivery> {
    return this.access.write((): Redelivery => {
      if (this.s.redeliver.run({ eventId, now: now.toISOString() }).changes === 1) return 'queued';
      const row = this.s.find.get(eventId) as Row | undefined;
      if (!row) return 'unknown';
      return row.state === 'pending' ? 'already-pending' : 'not-sendable';
    });
  }

  redeliverFailed(companyId: string | undefined, now: Date): Promise<number> {
    return this.access.write(() => this.s.redeliverFailed.run({ companyId: companyId ?? null, now: now.toISOString() }).changes);
  }

  async pruneDelivered(before: Date): Promise<number> {
    const at = before.toISOString();
    // Nothing to prune costs one read, not a place in the group commit.
    if (this.access.read(() => this.s.anyToPrune.get(at)) === undefined) return 0;
    return this.access.write(() => {
      this.s.pruneAttempts.run(at);
      return this.s.prune.run(at).changes;
    });
  }

  async backlog(): Promise<EventBacklog> {
    return this.access.read(() => toEventBacklog(this.s.counts.all() as Row[], this.s.oldestPending.get()));
  }
}
