import type pg from 'pg';
import {
  StoreUnavailableError,
  VIEW_CHANGED,
  type CallbackView,
  type Payment,
  type PaymentWithHistory,
  type Settlement,
  type StoredCallback,
} from '../../ipn/ports';
import type { Sealer } from '../../secrets/sealer';
import {
  changedRecord,
  openCompany,
  recordsToSeal,
  resealedRecord,
  summaryOf,
  toCompanyRecord,
  type CompanyChange,
  type CompanySummary,
} from '../companies';
import { runMigrations, type Migration } from '../migrate';
import { createPool, migrationTarget } from './connection';
import { writeCompanies } from './companies';
import { PostgresConfirmations } from './confirmations';
import { PostgresOutbox } from './outbox';
import { queryPool, transactionOn } from './pool';
import { SETTLE_QUERY, settleValues } from './settle';
import { toConfirmation, toFingerprints, toHistoryEntry, toPayment, toStoredCallback, type Row } from '../rows';
import type { RejectedRetention } from '../sqlite/store';
import type { CallbackFilter, PaymentStore, StoreHealth } from '../types';
import { isDatabaseFailure } from './values';

export interface PostgresOptions {
  connectionString: string;
  /** Seals and opens companies' Qvickly secrets. */
  sealer: Sealer;
  retention: RejectedRetention;
  poolSize?: number;
  /** Most settlements in flight; beyond it a callback gets 503 at once. */
  commitQueueLimit?: number;
}

const PRUNE_EVERY = 100;
// Raised by ipn_settle when its guard fails; a concurrent creation of the payment is 23505.
const VIEW_CHANGED_CODES = new Set(['QV409', '23505']);
// A deadlock or serialization failure: the statement is simply run again.
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

// A prepared statement (see viewCallback): its columns are named, so a column another instance's
// migration adds cannot change its result type under a cached plan.
const VIEW_QUERY = `
  SELECT to_jsonb(c) AS company, to_jsonb(cf) AS confirmation,
         p.company_id, p.number, p.booking_id, p.article_type_id, p.orderid, p.status, p.category, p.url, p.routing,
         p.updated_at, p.version,
         ARRAY(SELECT f.fingerprint FROM callback_fingerprints f WHERE f.company_id = $1 AND f.number = $2) AS fingerprints,
         ARRAY(SELECT f.callback_id FROM callback_fingerprints f WHERE f.company_id = $1 AND f.number = $2) AS first_copies,
         ARRAY(SELECT DISTINCT lower(h.status) FROM payment_history h WHERE h.company_id = $1 AND h.number = $2) AS held
  FROM (SELECT 1) AS one
  LEFT JOIN companies c ON c.company_id = $1
  LEFT JOIN payments p ON p.company_id = $1 AND p.number = $2
  LEFT JOIN confirmations cf ON cf.company_id = $1 AND cf.number = $2`;

/**
 * The store for several instances on one PostgreSQL database. Every connection runs with
 * synchronous_commit=on, so a statement returns only once its commit is durable. A callback
 * costs two round trips: one read (its company's keys and its payment) and one write (the
 * ipn_settle function, one statement), guarded so that concurrent writers to one payment are
 * serialised by its version and row lock, not by any process.
 */
export class PostgresStore implements PaymentStore {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;
  private rejectedSincePrune = 0;
  private inFlight = 0;
  private lastWriteFailed = false;
  readonly confirmations: PostgresConfirmations;
  readonly events: PostgresOutbox;

  static async open(options: PostgresOptions, onMigration?: (migration: Migration) => void): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await runMigrations(migrationTarget(store.pool), 'postgres', onMigration);
      await store.inTransaction(async (client) => {
        const { rows } = await client.query('SELECT * FROM companies ORDER BY company_id FOR UPDATE');
        await writeCompanies(client, recordsToSeal(rows.map(toCompanyRecord), options.sealer));
      });
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private constructor(private readonly options: PostgresOptions) {
    this.pool = createPool(options.connectionString, options.poolSize ?? 10);
    this.confirmations = new PostgresConfirmations(this.pool, options.sealer);
    this.events = new PostgresOutbox(this.pool);
  }

  private query<R extends pg.QueryResultRow = Row>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return queryPool<R>(this.pool, text, values);
  }

  async viewCallback(companyId: string, number: string): Promise<CallbackView> {
    const { rows } = await queryPool(this.pool, VIEW_QUERY, [companyId, number], 'ipn_view_callback');
    const row = rows[0] ?? {};
    const fingerprints = (row.fingerprints as string[] | undefined) ?? [];
    const firstCopies = (row.first_copies as Array<number | null> | undefined) ?? [];
    const company = row.company as Row | null | undefined;
    // to_jsonb writes timestamps as PostgreSQL text; the store speaks ISO 8601 in UTC.
    if (company?.previous_secret_expires_at) company.previous_secret_expires_at = new Date(String(company.previous_secret_expires_at)).toISOString();
    return {
      company: company ? openCompany(toCompanyRecord(company), this.options.sealer) : undefined,
      payment: {
        payment: row.number === null || row.number === undefined ? undefined : toPayment(row),
        version: row.version === null || row.version === undefined ? 0 : Number(row.version),
        held: new Set((row.held as string[] | undefined) ?? []),
        confirmation: toConfirmation(row.confirmation as Row | null),
        fingerprints: toFingerprints(fingerprints.map((fingerprint, index) => ({ fingerprint, callback_id: firstCopies[index] ?? null }))),
      },
    };
  }

  async settle(settlement: Settlement): Promise<number | typeof VIEW_CHANGED> {
    if (this.pool.ended) throw new StoreUnavailableError('the store is closed');
    if (this.inFlight >= (this.options.commitQueueLimit ?? 1000)) {
      throw new StoreUnavailableError(`${this.inFlight} writes are already waiting for PostgreSQL`);
    }
    this.inFlight += 1;
    try {
      const callbackId = await this.settleOnce(settlement);
      if (!settlement.entry.authentic) await this.pruneRejected();
      return callbackId;
    } finally {
      this.inFlight -= 1;
    }
  }

  private async settleOnce(settlement: Settlement): Promise<number | typeof VIEW_CHANGED> {
    const values = settleValues(settlement);
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await this.pool.query<{ callback_id: number }>({ name: 'ipn_settle', text: SETTLE_QUERY, values });
        this.lastWriteFailed = false;
        return Number(rows[0]?.callback_id);
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (VIEW_CHANGED_CODES.has(code)) return VIEW_CHANGED;
        if (RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
        if (!isDatabaseFailure(error)) throw error;
        this.lastWriteFailed = true;
        throw new StoreUnavailableError('PostgreSQL write failed', { cause: error });
      }
    }
  }

  /** Keeps rejected rows within both caps, checked every PRUNE_EVERY rejections. */
  private async pruneRejected(): Promise<void> {
    if (++this.rejectedSincePrune < PRUNE_EVERY) return;
    this.rejectedSincePrune = 0;
    await this.query(
      `DELETE FROM callbacks WHERE NOT authentic AND callback_id <= (
         SELECT callback_id FROM (
           SELECT callback_id,
                  ROW_NUMBER() OVER newest AS kept_rows,
                  SUM(octet_length(body) + octet_length(query)) OVER newest AS kept_bytes
           FROM callbacks WHERE NOT authentic
           WINDOW newest AS (ORDER BY callback_id DESC)) AS ranked
         WHERE kept_rows > $1 OR kept_bytes > $2
         ORDER BY callback_id DESC LIMIT 1)`,
      [this.options.retention.rows, this.options.retention.bytes],
    );
  }

  async health(): Promise<StoreHealth> {
    try {
      await this.query('SELECT 1');
      return { reachable: true, writable: !this.lastWriteFailed };
    } catch {
      return { reachable: false, writable: false };
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  async changeCompany(change: CompanyChange): Promise<'created' | 'updated'> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query('SELECT * FROM companies WHERE company_id = $1 FOR UPDATE', [change.companyId]);
      const existing = rows[0] ? toCompanyRecord(rows[0]) : undefined;
      await writeCompanies(client, [changedRecord(existing, change, this.options.sealer)]);
      return existing ? 'updated' : 'created';
    });
  }

  async listCompanies(): Promise<CompanySummary[]> {
    const { rows } = await this.query('SELECT * FROM companies ORDER BY company_id');
    return rows.map((row) => summaryOf(toCompanyRecord(row)));
  }

  async resealSecrets(to: Sealer): Promise<number> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query('SELECT * FROM companies ORDER BY company_id FOR UPDATE');
      const records = rows.map((row) => resealedRecord(toCompanyRecord(row), this.options.sealer, to));
      await writeCompanies(client, records);
      return records.length;
    });
  }

  /** Operator changes that read before they write: in a transaction, rows locked. */
  private inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return transactionOn(this.pool, work);
  }

  async findPayment(companyId: string, number: string): Promise<PaymentWithHistory | undefined> {
    const { rows } = await this.query('SELECT * FROM payments WHERE company_id = $1 AND number = $2', [companyId, number]);
    if (!rows[0]) return undefined;
    const history = await this.query('SELECT * FROM payment_history WHERE company_id = $1 AND number = $2 ORDER BY history_id', [companyId, number]);
    return { ...toPayment(rows[0]), history: history.rows.map(toHistoryEntry) };
  }

  async listPayments(companyId: string, bookingId?: string): Promise<Payment[]> {
    const { rows } = await this.query(
      'SELECT * FROM payments WHERE company_id = $1 AND ($2::text IS NULL OR booking_id = $2) ORDER BY created_at, number',
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
