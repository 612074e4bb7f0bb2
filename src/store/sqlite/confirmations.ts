import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Confirmation } from '../../ipn/confirmation';
import type {
  ConfirmationBacklog,
  ConfirmationCheck,
  ConfirmationLease,
  ConfirmationRecord,
  ConfirmationStore,
  NotCheckable,
} from '../../ipn/confirmation-ports';
import type { Sealer } from '../../secrets/sealer';
import { CHECK_OF_PAYMENT, recordValues, toBacklog, toConfirmationCheck } from '../confirmation-rows';
import { EVENT_COLUMNS, eventValues, toConfirmation, type Row } from '../rows';
import { SqliteAccess } from './access';
import type { GroupCommit } from './group-commit';

const DUE = `
  FROM confirmations cf JOIN companies c ON c.company_id = cf.company_id
  WHERE cf.state = 'pending' AND c.merchant_id IS NOT NULL AND cf.due_at <= @now AND (cf.lease_until IS NULL OR cf.lease_until <= @now)`;

function prepare(db: Database.Database) {
  return {
    anyDue: db.prepare(`SELECT 1 ${DUE} LIMIT 1`).pluck(),
    due: db.prepare(`SELECT cf.company_id, cf.number ${DUE} ORDER BY cf.due_at LIMIT @limit`),
    takeLease: db.prepare('UPDATE confirmations SET lease_token = ?, lease_until = ? WHERE company_id = ? AND number = ?'),
    check: db.prepare(CHECK_OF_PAYMENT('?', '?')),
    payment: db.prepare('SELECT 1 FROM payments WHERE company_id = ? AND number = ?').pluck(),
    merchantId: db.prepare('SELECT merchant_id FROM companies WHERE company_id = ?').pluck(),
    queue: db.prepare(
      `INSERT INTO confirmations (company_id, number, state, generation, due_at, queued_at, attempts) VALUES (@companyId, @number, 'pending', 1, @now, @now, 0)
       ON CONFLICT (company_id, number) DO UPDATE SET state = 'pending', generation = confirmations.generation + 1, due_at = excluded.due_at,
         queued_at = excluded.queued_at, attempts = 0, error_code = NULL, error_message = NULL
       WHERE confirmations.state <> 'pending'`,
    ),
    record: db.prepare(
      `UPDATE confirmations SET state = @state, due_at = COALESCE(@nextCheckAt, due_at), attempts = @attempts, lease_token = NULL, lease_until = NULL,
         qvickly_status = @qvicklyStatus, orderid = @orderid, currency = @currency, amount = @amount, related_number = @relatedNumber,
         checked_at = @checkedAt, error_code = @errorCode, error_message = @errorMessage
       WHERE company_id = @companyId AND number = @number AND generation = @generation AND lease_token = @leaseToken AND state = 'pending'`,
    ),
    release: db.prepare('UPDATE confirmations SET lease_token = NULL, lease_until = NULL WHERE company_id = ? AND number = ? AND lease_token = ?'),
    releaseHeld: db.prepare(
      `UPDATE payment_events SET state = 'pending', next_attempt_at = ?, confirmation = ?
       WHERE company_id = ? AND number = ? AND state = 'held'`,
    ),
    withholdHeld: db.prepare(`UPDATE payment_events SET state = 'withheld' WHERE company_id = ? AND number = ? AND state = 'held'`),
    insertEvent: db.prepare(`INSERT INTO payment_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`),
    backlog: db.prepare(
      `SELECT COUNT(*) AS pending,
              COALESCE(SUM(CASE WHEN cf.due_at <= @now AND (cf.lease_until IS NULL OR cf.lease_until <= @now) THEN 1 ELSE 0 END), 0) AS due,
              MIN(CASE WHEN cf.due_at <= @now AND (cf.lease_until IS NULL OR cf.lease_until <= @now) THEN cf.due_at END) AS oldest_due_at
       FROM confirmations cf JOIN companies c ON c.company_id = cf.company_id
       WHERE cf.state = 'pending' AND c.merchant_id IS NOT NULL`,
    ),
    find: db.prepare('SELECT * FROM confirmations WHERE company_id = ? AND number = ?'),
    related: db
      .prepare(
        `SELECT number FROM confirmations WHERE company_id = @companyId AND related_number = @number AND number <> @number
         UNION
         SELECT related_number FROM confirmations WHERE company_id = @companyId AND number = @number AND related_number IS NOT NULL AND related_number <> @number
         ORDER BY 1`,
      )
      .pluck(),
  };
}

/**
 * Confirmations in the embedded store. Every write goes through the store's group commit (so it
 * is durable when it resolves, and never interleaves with a callback's write); a poll that
 * finds nothing due costs one read and no transaction.
 */
export class SqliteConfirmations implements ConfirmationStore {
  private readonly s: ReturnType<typeof prepare>;

  private readonly access: SqliteAccess;

  constructor(
    db: Database.Database,
    commits: GroupCommit,
    private readonly sealer: Sealer,
  ) {
    this.s = prepare(db);
    this.access = new SqliteAccess(db, commits);
  }

  async lease(limit: number, now: Date, leaseUntil: Date): Promise<ConfirmationCheck[]> {
    const at = now.toISOString();
    if (limit < 1 || this.access.read(() => this.s.anyDue.get({ now: at })) === undefined) return [];
    const token = randomUUID();
    const rows = await this.access.write(() =>
      (this.s.due.all({ now: at, limit }) as Row[]).map((due) => {
        this.s.takeLease.run(token, leaseUntil.toISOString(), due.company_id, due.number);
        return this.s.check.get(due.company_id, due.number) as Row;
      }),
    );
    // Secrets are opened after the commit: a key that cannot open one fails this poll, not a batch.
    return rows.map((row) => toConfirmationCheck(row, this.sealer));
  }

  async leaseNow(companyId: string, number: string, now: Date, leaseUntil: Date): Promise<ConfirmationCheck | NotCheckable> {
    const s = this.s;
    const row = await this.access.write((): Row | NotCheckable => {
      if (s.payment.get(companyId, number) === undefined) return 'no-payment';
      const merchantId = s.merchantId.get(companyId) as string | null | undefined;
      if (merchantId === null || merchantId === undefined) return 'not-confirming';
      s.queue.run({ companyId, number, now: now.toISOString() });
      s.takeLease.run(randomUUID(), leaseUntil.toISOString(), companyId, number);
      return s.check.get(companyId, number) as Row;
    });
    return typeof row === 'string' ? row : toConfirmationCheck(row, this.sealer);
  }

  record(record: ConfirmationRecord): Promise<boolean> {
    const s = this.s;
    const { lease, confirmation, held, events, callbackId, recordedAt } = record;
    return this.access.write(() => {
      if (s.record.run(recordValues(record)).changes !== 1) {
        s.release.run(lease.companyId, lease.number, lease.leaseToken);
        return false;
      }
      if (held === 'release') s.releaseHeld.run(recordedAt, JSON.stringify(confirmation), lease.companyId, lease.number);
      if (held === 'withhold') s.withholdHeld.run(lease.companyId, lease.number);
      for (const event of events) s.insertEvent.run(...eventValues(event, callbackId));
      return true;
    });
  }

  async release(lease: ConfirmationLease): Promise<void> {
    await this.access.write(() => this.s.release.run(lease.companyId, lease.number, lease.leaseToken));
  }

  async backlog(now: Date): Promise<ConfirmationBacklog> {
    return toBacklog(this.access.read(() => this.s.backlog.get({ now: now.toISOString() }) as Row | undefined));
  }

  async find(companyId: string, number: string): Promise<Confirmation | undefined> {
    return toConfirmation(this.access.read(() => this.s.find.get(companyId, number) as Row | undefined));
  }

  async relatedPayments(companyId: string, number: string): Promise<string[]> {
    return this.access.read(() => this.s.related.all({ companyId, number }) as string[]);
  }
}
