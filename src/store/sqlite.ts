import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations } from './migrations';
import { Checkpointer } from './sqlite-checkpointer';
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

export interface SqliteOptions {
  file: string;
  /** How long a write waits for another connection's lock before the callback gets 503. */
  busyTimeoutMs?: number;
  /** Rejected (unauthenticated or invalid) inbox rows kept; older ones are pruned. */
  rejectedCallbackCap?: number;
  /** Most transactions committed together in one group commit. */
  maxBatch?: number;
}

interface Pending {
  work: (tx: CallbackTransaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const PRUNE_EVERY = 100;

/**
 * The embedded store. WAL with synchronous=FULL on every open, so a COMMIT has reached the
 * disk when it returns. Transactions that arrive while one is being committed are written
 * together in the next commit (group commit), and each caller is answered only after that
 * commit.
 */
export class SqliteStore implements PaymentStore {
  readonly engine = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly queue: Pending[] = [];
  private flushScheduled = false;
  private rejectedSincePrune = 0;
  private readonly rejectedCap: number;
  private readonly maxBatch: number;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly tx: CallbackTransaction;
  private readonly checkpointer: Checkpointer | undefined;

  constructor(options: SqliteOptions) {
    if (options.file !== ':memory:') mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 1000)}`);
    this.rejectedCap = options.rejectedCallbackCap ?? 10_000;
    this.maxBatch = options.maxBatch ?? 256;
    this.migrateNow();
    this.statements = prepareStatements(this.db);
    this.tx = this.transactionApi();
    if (options.file !== ':memory:') {
      // Checkpoints move to their own thread; should it ever stop, SQLite takes them back.
      this.db.pragma('wal_autocheckpoint = 0');
      this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      this.checkpointer = new Checkpointer(path.resolve(options.file), () => {
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      });
    }
  }

  /** The pragmas that carry the durability guarantee, as SQLite reports them. */
  durability(): { journalMode: string; synchronous: number; walAutocheckpoint: number } {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      walAutocheckpoint: Number(this.db.pragma('wal_autocheckpoint', { simple: true })),
    };
  }

  async migrate(): Promise<void> {
    this.migrateNow();
  }

  private migrateNow(): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const applied = new Set(
      this.db
        .prepare('SELECT version FROM schema_migrations')
        .all()
        .map((row) => Number((row as { version: number }).version)),
    );
    for (const migration of loadMigrations('sqlite')) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, new Date().toISOString());
      }).immediate();
    }
  }

  inTransaction<T>(work: (tx: CallbackTransaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /**
   * One group commit. Every queued transaction runs in one SQLite transaction and is answered
   * after its COMMIT. If one of them fails, the whole batch is rolled back and each is run again
   * in a transaction of its own, so one failure costs only its own caller (rare, and cheaper
   * than a savepoint around every callback on the common path).
   */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      const values = await this.commit(batch);
      batch.forEach((item, index) => item.resolve(values[index]));
    } catch (error) {
      if (error instanceof WorkFailed && batch.length > 1) {
        for (const item of batch) {
          await this.commit([item]).then(
            ([value]) => item.resolve(value),
            (failure: unknown) => item.reject(failure instanceof WorkFailed ? failure.cause : failure),
          );
        }
      } else {
        for (const item of batch) item.reject(error instanceof WorkFailed ? error.cause : error);
      }
    }
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else this.flushScheduled = false;
  }

  /** Runs work items in one transaction; resolves once the COMMIT has reached the disk. */
  private async commit(batch: Pending[]): Promise<unknown[]> {
    const { begin, commit, rollback } = this.statements;
    try {
      begin.run();
    } catch (error) {
      throw new StoreUnavailableError('the store cannot start a write', { cause: error });
    }
    const values: unknown[] = [];
    try {
      for (const item of batch) {
        try {
          // The transaction API only returns settled promises: the batch runs without yielding to I/O.
          values.push(await item.work(this.tx));
        } catch (error) {
          throw new WorkFailed(isSqliteError(error) ? new StoreUnavailableError('write failed', { cause: error }) : error);
        }
      }
      commit.run();
      return values;
    } catch (error) {
      if (this.db.inTransaction) rollback.run();
      if (error instanceof WorkFailed) throw error;
      throw new StoreUnavailableError('the store could not commit', { cause: error });
    }
  }

  private transactionApi(): CallbackTransaction {
    const s = this.statements;
    return {
      findSecret: async (companyId) => (s.findSecret.get(companyId) as { secret: string } | undefined)?.secret,
      lockPayment: async (companyId, number) => {
        const row = s.findPayment.get(companyId, number) as Record<string, unknown> | undefined;
        return row ? toPayment(row) : undefined;
      },
      claimFingerprint: async (companyId, number, fingerprint) =>
        s.claimFingerprint.run(companyId, number, fingerprint).changes === 1,
      recordCallback: async (entry: InboxEntry) => {
        const id = Number(s.insertCallback.run(...callbackValues(entry, entry.authentic ? 1 : 0)).lastInsertRowid);
        if (!entry.authentic) this.pruneRejected();
        return id;
      },
      savePayment: async (payment: Payment, isNew: boolean) => {
        (isNew ? s.insertPayment : s.updatePayment).run(payment);
      },
      appendHistory: async (companyId, number, entry: HistoryEntry) => {
        s.insertHistory.run(companyId, number, entry.status, entry.category, entry.outcome, entry.callbackId, entry.receivedAt);
      },
    };
  }

  /** Keeps at most about `rejectedCap` rejected rows, checked every PRUNE_EVERY rejections. */
  private pruneRejected(): void {
    if (++this.rejectedSincePrune < PRUNE_EVERY) return;
    this.rejectedSincePrune = 0;
    const oldestKept = this.statements.nthNewestRejected.get(this.rejectedCap) as { callback_id: number } | undefined;
    if (oldestKept) this.statements.pruneRejected.run(oldestKept.callback_id);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    while (this.flushScheduled) await new Promise((resolve) => setImmediate(resolve));
    await this.checkpointer?.stop();
    this.db.close();
  }

  async setCompany(companyId: string, secret: string, merchantId: string | null, now: string): Promise<void> {
    this.statements.upsertCompany.run(companyId, secret, merchantId, now, now);
  }

  async listCompanies(): Promise<CompanySummary[]> {
    return (this.statements.listCompanies.all() as Array<Record<string, unknown>>).map((row) => ({
      companyId: String(row.company_id),
      merchantId: row.merchant_id === null ? null : String(row.merchant_id),
      updatedAt: String(row.updated_at),
    }));
  }

  async findPayment(companyId: string, number: string): Promise<PaymentWithHistory | undefined> {
    const row = this.statements.findPayment.get(companyId, number) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    const history = (this.statements.listHistory.all(companyId, number) as Array<Record<string, unknown>>).map(toHistoryEntry);
    return { ...toPayment(row), history };
  }

  async listPayments(companyId: string, bookingId?: string): Promise<Payment[]> {
    const rows =
      bookingId === undefined
        ? this.statements.listPayments.all(companyId)
        : this.statements.listPaymentsOfBooking.all(companyId, bookingId);
    return (rows as Array<Record<string, unknown>>).map(toPayment);
  }

  async listCallbacks(filter: CallbackFilter): Promise<StoredCallback[]> {
    const rows = this.statements.listCallbacks.all({
      company: filter.companyId ?? null,
      outcome: filter.outcome ?? null,
      limit: filter.limit ?? 100,
    });
    return (rows as Array<Record<string, unknown>>).map(toStoredCallback);
  }

  async findCallback(callbackId: number): Promise<StoredCallback | undefined> {
    const row = this.statements.findCallback.get(callbackId) as Record<string, unknown> | undefined;
    return row ? toStoredCallback(row) : undefined;
  }
}

function prepareStatements(db: Database.Database) {
  const placeholders = CALLBACK_COLUMNS.map(() => '?').join(', ');
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    findSecret: db.prepare('SELECT secret FROM companies WHERE company_id = ?'),
    findPayment: db.prepare('SELECT * FROM payments WHERE company_id = ? AND number = ?'),
    claimFingerprint: db.prepare(
      'INSERT INTO callback_fingerprints (company_id, number, fingerprint) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    insertCallback: db.prepare(`INSERT INTO callbacks (${CALLBACK_COLUMNS.join(', ')}) VALUES (${placeholders})`),
    insertPayment: db.prepare(
      `INSERT INTO payments (company_id, number, booking_id, article_type_id, orderid, status, category, url, created_at, updated_at)
       VALUES (@companyId, @number, @bookingId, @articleTypeId, @orderid, @status, @category, @url, @updatedAt, @updatedAt)`,
    ),
    updatePayment: db.prepare(
      `UPDATE payments SET booking_id = @bookingId, article_type_id = @articleTypeId, orderid = @orderid, status = @status,
         category = @category, url = @url, updated_at = @updatedAt
       WHERE company_id = @companyId AND number = @number`,
    ),
    insertHistory: db.prepare(
      `INSERT INTO payment_history (company_id, number, status, category, outcome, callback_id, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    listHistory: db.prepare('SELECT * FROM payment_history WHERE company_id = ? AND number = ? ORDER BY history_id'),
    listPayments: db.prepare('SELECT * FROM payments WHERE company_id = ? ORDER BY created_at, number'),
    listPaymentsOfBooking: db.prepare(
      'SELECT * FROM payments WHERE company_id = ? AND booking_id = ? ORDER BY created_at, number',
    ),
    listCallbacks: db.prepare(
      `SELECT * FROM callbacks
       WHERE (@company IS NULL OR company_id = @company) AND (@outcome IS NULL OR outcome = @outcome)
       ORDER BY callback_id DESC LIMIT @limit`,
    ),
    findCallback: db.prepare('SELECT * FROM callbacks WHERE callback_id = ?'),
    nthNewestRejected: db.prepare(
      'SELECT callback_id FROM callbacks WHERE authentic = 0 ORDER BY callback_id DESC LIMIT 1 OFFSET ?',
    ),
    pruneRejected: db.prepare('DELETE FROM callbacks WHERE authentic = 0 AND callback_id <= ?'),
    upsertCompany: db.prepare(
      `INSERT INTO companies (company_id, secret, merchant_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (company_id) DO UPDATE SET secret = excluded.secret,
         merchant_id = COALESCE(excluded.merchant_id, companies.merchant_id), updated_at = excluded.updated_at`,
    ),
    listCompanies: db.prepare('SELECT company_id, merchant_id, updated_at FROM companies ORDER BY company_id'),
  };
}

/** A work item failed (not the transaction around it): its batch is worth retrying one by one. */
class WorkFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('a transaction in the batch failed');
  }
}

function isSqliteError(error: unknown): boolean {
  return error instanceof Error && error.name === 'SqliteError';
}
