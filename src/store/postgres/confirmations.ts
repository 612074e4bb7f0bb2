import { randomUUID } from 'node:crypto';
import type pg from 'pg';
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
import { CHECK_COLUMNS, CHECK_OF_PAYMENT, recordValues, toBacklog, toConfirmationCheck } from '../confirmation-rows';
import { EVENT_COLUMNS, eventValues, toConfirmation, type Row } from '../rows';
import { queryPool, transactionOn } from './pool';
import { storable } from './values';

// SKIP LOCKED: instances polling at once take different rows instead of waiting for each other;
// the lease (lease_until) then keeps a taken row from every other instance until it expires.
const LEASE = `
  WITH due AS (
    SELECT cf.company_id, cf.number
    FROM confirmations cf JOIN companies c ON c.company_id = cf.company_id
    WHERE cf.state = 'pending' AND c.merchant_id IS NOT NULL AND cf.due_at <= $1 AND (cf.lease_until IS NULL OR cf.lease_until <= $1)
    ORDER BY cf.due_at
    LIMIT $3
    FOR UPDATE OF cf SKIP LOCKED)
  UPDATE confirmations cf SET lease_token = $4, lease_until = $2
  FROM due, companies c, payments p
  WHERE cf.company_id = due.company_id AND cf.number = due.number
    AND c.company_id = cf.company_id AND p.company_id = cf.company_id AND p.number = cf.number
  RETURNING ${CHECK_COLUMNS}`;

// Rows queued since the last check keep their generation and attempts; a settled one starts a new run.
const QUEUE = `
  INSERT INTO confirmations (company_id, number, state, generation, due_at, queued_at, attempts) VALUES ($1, $2, 'pending', 1, $3, $3, 0)
  ON CONFLICT (company_id, number) DO UPDATE SET state = 'pending', generation = confirmations.generation + 1, due_at = excluded.due_at,
    queued_at = excluded.queued_at, attempts = 0, error_code = NULL, error_message = NULL
  WHERE confirmations.state <> 'pending'`;

const RECORD = `
  UPDATE confirmations SET state = $5, due_at = COALESCE($6::timestamptz, due_at), attempts = $7, lease_token = NULL, lease_until = NULL,
    qvickly_status = $8, orderid = $9, currency = $10, amount = $11, related_number = $12, checked_at = $13, error_code = $14, error_message = $15
  WHERE company_id = $1 AND number = $2 AND generation = $3 AND lease_token = $4 AND state = 'pending'`;

const RELEASE = 'UPDATE confirmations SET lease_token = NULL, lease_until = NULL WHERE company_id = $1 AND number = $2 AND lease_token = $3';

const BACKLOG = `
  SELECT COUNT(*) AS pending,
         COUNT(*) FILTER (WHERE cf.due_at <= $1 AND (cf.lease_until IS NULL OR cf.lease_until <= $1)) AS due,
         MIN(cf.due_at) FILTER (WHERE cf.due_at <= $1 AND (cf.lease_until IS NULL OR cf.lease_until <= $1)) AS oldest_due_at
  FROM confirmations cf JOIN companies c ON c.company_id = cf.company_id
  WHERE cf.state = 'pending' AND c.merchant_id IS NOT NULL`;

const RELATED = `
  SELECT number FROM confirmations WHERE company_id = $1 AND related_number = $2 AND number <> $2
  UNION
  SELECT related_number FROM confirmations WHERE company_id = $1 AND number = $2 AND related_number IS NOT NULL AND related_number <> $2
  ORDER BY 1`;

const INSERT_EVENT = `INSERT INTO payment_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`;

/**
 * Confirmations on PostgreSQL, safe with several instances: leases are taken with FOR UPDATE
 * SKIP LOCKED, and a result is written under the payment's row lock (the lock a callback's
 * write takes first), so a callback and a result for one payment are serialised, and events
 * recorded for a payment commit in the order of their sequence.
 */
export class PostgresConfirmations implements ConfirmationStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sealer: Sealer,
  ) {}

  private query(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    return queryPool(this.pool, text, values);
  }

  private inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return transactionOn(this.pool, work);
  }

  async lease(limit: number, now: Date, leaseUntil: Date): Promise<ConfirmationCheck[]> {
    if (limit < 1) return [];
    const { rows } = await this.query(LEASE, [now, leaseUntil, limit, randomUUID()]);
    return rows.map((row) => toConfirmationCheck(row, this.sealer));
  }

  async leaseNow(companyId: string, number: string, now: Date, leaseUntil: Date): Promise<ConfirmationCheck | NotCheckable> {
    const row = await this.inTransaction(async (client): Promise<Row | NotCheckable> => {
      const payment = await client.query('SELECT 1 FROM payments WHERE company_id = $1 AND number = $2 FOR UPDATE', [companyId, number]);
      if (payment.rowCount === 0) return 'no-payment';
      const company = await client.query<{ merchant_id: string | null }>('SELECT merchant_id FROM companies WHERE company_id = $1', [companyId]);
      if (!company.rows[0]?.merchant_id) return 'not-confirming';
      await client.query(QUEUE, [companyId, number, now]);
      await client.query('UPDATE confirmations SET lease_token = $3, lease_until = $4 WHERE company_id = $1 AND number = $2', [
        companyId,
        number,
        randomUUID(),
        leaseUntil,
      ]);
      const { rows } = await client.query<Row>(CHECK_OF_PAYMENT('$1', '$2'), [companyId, number]);
      return rows[0] as Row;
    });
    return typeof row === 'string' ? row : toConfirmationCheck(row, this.sealer);
  }

  async record(record: ConfirmationRecord): Promise<boolean> {
    const { lease, confirmation, held, events, callbackId, recordedAt } = record;
    const v = recordValues(record);
    return this.inTransaction(async (client) => {
      await client.query('SELECT 1 FROM payments WHERE company_id = $1 AND number = $2 FOR UPDATE', [lease.companyId, lease.number]);
      const updated = await client.query(RECORD, storable([
        v.companyId, v.number, v.generation, v.leaseToken, v.state, v.nextCheckAt, v.attempts,
        v.qvicklyStatus, v.orderid, v.currency, v.amount, v.relatedNumber, v.checkedAt, v.errorCode, v.errorMessage,
      ]));
      if (updated.rowCount !== 1) {
        await client.query(RELEASE, [lease.companyId, lease.number, lease.leaseToken]);
        return false;
      }
      if (held === 'release') {
        await client.query(
          `UPDATE payment_events SET state = 'pending', next_attempt_at = $3, confirmation = $4
           WHERE company_id = $1 AND number = $2 AND state = 'held'`,
          storable([lease.companyId, lease.number, recordedAt, JSON.stringify(confirmation)]),
        );
      } else if (held === 'withhold') {
        await client.query(`UPDATE payment_events SET state = 'withheld' WHERE company_id = $1 AND number = $2 AND state = 'held'`, [
          lease.companyId,
          lease.number,
        ]);
      }
      for (const event of events) await client.query(INSERT_EVENT, storable(eventValues(event, callbackId)));
      return true;
    });
  }

  async release(lease: ConfirmationLease): Promise<void> {
    await this.query(RELEASE, [lease.companyId, lease.number, lease.leaseToken]);
  }

  async backlog(now: Date): Promise<ConfirmationBacklog> {
    const { rows } = await this.query(BACKLOG, [now]);
    return toBacklog(rows[0]);
  }

  async find(companyId: string, number: string): Promise<Confirmation | undefined> {
    const { rows } = await this.query('SELECT * FROM confirmations WHERE company_id = $1 AND number = $2', [companyId, number]);
    return toConfirmation(rows[0]);
  }

  async relatedPayments(companyId: string, number: string): Promise<string[]> {
    const { rows } = await this.query(RELATED, [companyId, number]);
    return rows.map((row) => String(row.number));
  }
}
