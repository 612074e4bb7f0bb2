import pg from 'pg';
import { loadMigrations } from './migrations';
import { CALLBACK_COLUMNS, callbackValues, toHistoryEntry, toPayment, toStoredCallback } from './rows';
import {
  StoreUnavailableError,
  type CallbackFilter,
  type CallbackTransaction,
  type CompanySummary,
  type HistoryEntry,
  type InboxEntry,
  type Payment,
  type PaymentStore,
  type PaymentWithHistory,
  type StoredCallback,
} from './types';

export interface PostgresOptions {
  connectionString: string;
  rejectedCallbackCap?: number;
  poolSize?: number;
}

const PRUNE_EVERY = 100;
const MAX_ATTEMPTS = 5;
// Any constant shared by every instance: serialises migrations when several start at once.
const MIGRATION_LOCK = 4_242_001;

// Serialization failure, deadlock, and a payment created concurrently: the transaction is re-run.
const RETRYABLE = new Set(['40001', '40P01', '23505']);

const INT8_OID = 20;
const TIMESTAMPTZ_OID = 1184;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    if (oid === TIMESTAMPTZ_OID) return (value: string) => new Date(value).toISOString();
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/**
 * The store for several instances on one PostgreSQL database. Every connection runs with
 * synchronous_commit=on, so COMMIT returns only once the commit is durable; concurrent writers
 * to one payment are serialised by its row lock and primary keys, not by any process.
 */
export class PostgresStore implements PaymentStore {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly rejectedCap: number;
  private rejectedSincePrune = 0;

  constructor(options: PostgresOptions) {
    this.rejectedCap = options.rejectedCallbackCap ?? 10_000;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 10_000,
      query_timeout: 10_000,
      options: '-c synchronous_commit=on',
      types,
    });
    // An idle connection dropped by the server must not take the process down; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    const client = await this.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((row) => Number(row.version)));
      for (const migration of loadMigrations('postgres')) {
        if (applied.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
            migration.version,
            migration.name,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw new StoreUnavailableError('PostgreSQL cannot be reached', { cause: error });
    }
  }

  async inTransaction<T>(work: (tx: CallbackTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(this.transactionApi(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        broken = !(await client.query('ROLLBACK').then(
          () => true,
          () => false,
        ));
        const code = (error as { code?: string }).code;
        if (!broken && code !== undefined && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
        throw isDatabaseFailure(error) ? new StoreUnavailableError('PostgreSQL write failed', { cause: error }) : error;
      } finally {
        client.release(broken);
      }
    }
  }

  private transactionApi(client: pg.PoolClient): CallbackTransaction {
    const placeholders = CALLBACK_COLUMNS.map((_, index) => `$${index + 1}`).join(', ');
    const q = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => client.query<R>(text, storable(values));
    return {
      findSecret: async (companyId) => {
        const { rows } = await q<{ secret: string }>('SELECT secret FROM companies WHERE company_id = $1', [
          companyId,
        ]);
        return rows[0]?.secret;
      },
      lockPayment: async (companyId, number) => {
        const { rows } = await q('SELECT * FROM payments WHERE company_id = $1 AND number = $2 FOR UPDATE', [
          companyId,
          number,
        ]);
        return rows[0] ? toPayment(rows[0]) : undefined;
      },
      claimFingerprint: async (companyId, number, fingerprint) => {
        const { rowCount } = await q(
          'INSERT INTO callback_fingerprints (company_id, number, fingerprint) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [companyId, number, fingerprint],
        );
        return rowCount === 1;
      },
      recordCallback: async (entry: InboxEntry) => {
        const { rows } = await q<{ callback_id: number }>(
          `INSERT INTO callbacks (${CALLBACK_COLUMNS.join(', ')}) VALUES (${placeholders}) RETURNING callback_id`,
          callbackValues(entry, entry.authentic),
        );
        if (!entry.authentic) await this.pruneRejected(client);
        return Number(rows[0]?.callback_id);
      },
      savePayment: async (payment: Payment, isNew: boolean) => {
        const values = [
          payment.bookingId,
          payment.articleTypeId,
          payment.orderid,
          payment.status,
          payment.category,
          payment.url,
          payment.updatedAt,
          payment.companyId,
          payment.number,
        ];
        await q(
          isNew
            ? `INSERT INTO payments (booking_id, article_type_id, orderid, status, category, url, updated_at, created_at, company_id, number)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)`
            : `UPDATE payments SET booking_id = $1, article_type_id = $2, orderid = $3, status = $4, category = $5, url = $6, updated_at = $7
               WHERE company_id = $8 AND number = $9`,
          values,
        );
      },
      appendHistory: async (companyId, number, entry: HistoryEntry) => {
        await q(
          `INSERT INTO payment_history (company_id, number, status, category, outcome, callback_id, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [companyId, number, entry.status, entry.category, entry.outcome, entry.callbackId, entry.receivedAt],
        );
      },
    };
  }

  /** Keeps at most about `rejectedCap` rejected rows, checked every PRUNE_EVERY rejections. */
  private async pruneRejected(client: pg.PoolClient): Promise<void> {
    if (++this.rejectedSincePrune < PRUNE_EVERY) return;
    this.rejectedSincePrune = 0;
    await client.query(
      `DELETE FROM callbacks WHERE NOT authentic AND callback_id <= (
         SELECT callback_id FROM callbacks WHERE NOT authentic ORDER BY callback_id DESC LIMIT 1 OFFSET $1)`,
      [this.rejectedCap],
    );
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async query(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(text, storable(values));
    } catch (error) {
      throw isDatabaseFailure(error) ? new StoreUnavailableError('PostgreSQL query failed', { cause: error }) : error;
    }
  }

  async setCompany(companyId: string, secret: string, merchantId: string | null, now: string): Promise<void> {
    await this.query(
      `INSERT INTO companies (company_id, secret, merchant_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (company_id) DO UPDATE SET secret = excluded.secret,
         merchant_id = COALESCE(excluded.merchant_id, companies.merchant_id), updated_at = excluded.updated_at`,
      [companyId, secret, merchantId, now],
    );
  }

  async listCompanies(): Promise<CompanySummary[]> {
    const { rows } = await this.query('SELECT company_id, merchant_id, updated_at FROM companies ORDER BY company_id');
    return rows.map((row) => ({
      companyId: String(row.company_id),
      merchantId: row.merchant_id === null ? null : String(row.merchant_id),
      updatedAt: String(row.updated_at),
    }));
  }

  async findPayment(companyId: string, number: string): Promise<PaymentWithHistory | undefined> {
    const { rows } = await this.query('SELECT * FROM payments WHERE company_id = $1 AND number = $2', [companyId, number]);
    if (!rows[0]) return undefined;
    const history = await this.query(
      'SELECT * FROM payment_history WHERE company_id = $1 AND number = $2 ORDER BY history_id',
      [companyId, number],
    );
    return { ...toPayment(rows[0]), history: history.rows.map(toHistoryEntry) };
  }

  async listPayments(companyId: string, bookingId?: string): Promise<Payment[]> {
    const { rows } = await this.query(
      `SELECT * FROM payments WHERE company_id = $1 AND ($2::text IS NULL OR booking_id = $2) ORDER BY created_at, number`,
      [companyId, bookingId ?? null],
    );
    return rows.map(toPayment);
  }

  async listCallbacks(filter: CallbackFilter): Promise<StoredCallback[]> {
    const { rows } = await this.query(
      `SELECT * FROM callbacks WHERE ($1::text IS NULL OR company_id = $1) AND ($2::text IS NULL OR outcome = $2)
       ORDER BY callback_id DESC LIMIT $3`,
      [filter.companyId ?? null, filter.outcome ?? null, filter.limit ?? 100],
    );
    return rows.map(toStoredCallback);
  }

  async findCallback(callbackId: number): Promise<StoredCallback | undefined> {
    const { rows } = await this.query('SELECT * FROM callbacks WHERE callback_id = $1', [callbackId]);
    return rows[0] ? toStoredCallback(rows[0]) : undefined;
  }
}

/**
 * PostgreSQL text cannot hold U+0000, and refusing an authentic callback would only make
 * Qvickly retry it for months: text columns get U+FFFD instead, the raw body (bytea) keeps
 * the original bytes.
 */
function storable(values: unknown[]): unknown[] {
  return values.map((value) => (typeof value === 'string' && value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value));
}

/** A failure of the database or the connection to it, as opposed to a bug in a query. */
function isDatabaseFailure(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const code = (error as { code?: string } | null)?.code;
  if (code === undefined) return error instanceof Error && /connect|terminat|timeout|ECONN|EPIPE/i.test(error.message);
  // Syntax or access-rule violations (class 42) are ours to fix; everything else is the database's state.
  return !code.startsWith('42');
}
