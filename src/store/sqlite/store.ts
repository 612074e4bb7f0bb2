import type Database from 'better-sqlite3';
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
  type CompanyRecord,
  type CompanySummary,
} from '../companies';
import { runMigrations, type Migration } from '../migrate';
import { callbackValues, eventValues, toConfirmation, toFingerprints, toHistoryEntry, toPayment, toStoredCallback, type Row } from '../rows';
import type { CallbackFilter, PaymentStore, StoreHealth } from '../types';
import type { Checkpointer } from './checkpointer';
import { CompanyCache } from './company-cache';
import { migrationTarget, openConnection } from './connection';
import { SqliteConfirmations } from './confirmations';
import { SqliteOutbox } from './outbox';
import { isSqliteError } from './errors';
import { GroupCommit } from './group-commit';
import { prepareStatements, type SqliteStatements } from './statements';

/** How much of the inbox's rejected (unauthenticated or undecodable) rows is kept; older ones are pruned. */
export interface RejectedRetention {
  rows: number;
  bytes: number;
}

export interface SqliteOptions {
  file: string;
  /** Seals and opens companies' Qvickly secrets. */
  sealer: Sealer;
  retention: RejectedRetention;
  /** How long a write waits for another connection's lock before the callback gets 503. */
  busyTimeoutMs?: number;
  /** Most settlements committed together in one group commit. */
  maxBatch?: number;
  /** Most settlements waiting for the disk; beyond it a callback gets 503 at once. */
  commitQueueLimit?: number;
}

const PRUNE_EVERY = 100;

/**
 * The embedded store (its connection's durability settings are in connection.ts): settlements
 * are written by group commit, reads answer from prepared statements.
 */
export class SqliteStore implements PaymentStore {
  readonly engine = 'sqlite' as const;
  private readonly db: Database.Database;
  private statements!: SqliteStatements;
  private commits!: GroupCommit;
  private readonly checkpointer: Checkpointer | undefined;
  private companies!: CompanyCache;
  private rejectedSincePrune = 0;
  confirmations!: SqliteConfirmations;
  events!: SqliteOutbox;

  static async open(options: SqliteOptions, onMigration?: (migration: Migration) => void): Promise<SqliteStore> {
    const store = new SqliteStore(options);
    try {
      await runMigrations(migrationTarget(store.db), 'sqlite', onMigration);
    } catch (error) {
      store.db.close();
      throw error;
    }
    store.statements = prepareStatements(store.db);
    store.companies = new CompanyCache(store.db);
    store.commits = new GroupCommit(store.db, { maxBatch: options.maxBatch ?? 256, queueLimit: options.commitQueueLimit ?? 1000 });
    store.confirmations = new SqliteConfirmations(store.db, store.commits, options.sealer);
    store.events = new SqliteOutbox(store.db, store.commits);
    try {
      store.writeCompanies(recordsToSeal(store.companyRecords(), options.sealer));
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private constructor(private readonly options: SqliteOptions) {
    ({ db: this.db, checkpointer: this.checkpointer } = openConnection(options));
  }

  /** The pragmas that carry the durability guarantee, as SQLite reports them. */
  durability(): { journalMode: string; synchronous: number; walAutocheckpoint: number } {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      walAutocheckpoint: Number(this.db.pragma('wal_autocheckpoint', { simple: true })),
    };
  }

  async viewCallback(companyId: string, number: string): Promise<CallbackView> {
    return this.reading((s) => {
      const company = this.companies.get(companyId, () => {
        const found = s.findCompany.get(companyId) as Row | undefined;
        return found ? openCompany(toCompanyRecord(found), this.options.sealer) : undefined;
      });
      const row = s.findPayment.get(companyId, number) as Row | undefined;
      return {
        company,
        payment: {
          payment: row ? toPayment(row) : undefined,
          version: row ? Number(row.version) : 0,
          held: new Set(s.heldStatuses.all(companyId, number) as string[]),
          confirmation: toConfirmation(s.findConfirmation.get(companyId, number) as Row | undefined),
          fingerprints: toFingerprints(s.listFingerprints.all(companyId, number) as Row[]),
        },
      };
    });
  }

  settle(settlement: Settlement): Promise<number | typeof VIEW_CHANGED> {
    if (!this.db.open) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return this.commits.run(() => this.write(settlement));
  }

  /** One settlement inside a group commit: its guards first, then every write. */
  private write(settlement: Settlement): number | typeof VIEW_CHANGED {
    const s = this.statements;
    const { entry, fingerprint, payment, history } = settlement;
    const companyId = entry.companyId ?? '';
    const number = entry.number ?? '';
    if (settlement.expectedVersion !== undefined) {
      const version = (s.paymentVersion.get(companyId, number) as number | undefined) ?? 0;
      if (version !== settlement.expectedVersion) return VIEW_CHANGED;
    }
    if (fingerprint !== undefined && s.fingerprintExists.get(companyId, number, fingerprint) !== undefined) return VIEW_CHANGED;
    const callbackId = Number(s.insertCallback.run(...callbackValues(entry, entry.authentic ? 1 : 0)).lastInsertRowid);
    if (fingerprint !== undefined) s.insertFingerprint.run(companyId, number, fingerprint, callbackId);
    if (payment) (payment.change === 'create' ? s.insertPayment : s.updatePayment).run(payment.state);
    else if (history) s.touchPayment.run(companyId, number);
    if (history) s.insertHistory.run(companyId, number, history.status, history.category, history.outcome, callbackId, history.receivedAt);
    if (settlement.confirm) s.queueConfirmation.run({ companyId, number, now: settlement.confirm.queuedAt });
    for (const event of settlement.events ?? []) s.insertEvent.run(...eventValues(event, callbackId));
    if (!entry.authentic) this.pruneRejected();
    return callbackId;
  }

  /** Keeps rejected rows within both caps, checked every PRUNE_EVERY rejections. */
  private pruneRejected(): void {
    if (++this.rejectedSincePrune < PRUNE_EVERY) return;
    this.rejectedSincePrune = 0;
    const { rows, bytes } = this.options.retention;
    const newest = this.statements.newestPrunable.get({ rows, bytes }) as number | undefined;
    if (newest !== undefined) this.statements.pruneRejected.run(newest);
  }

  async health(): Promise<StoreHealth> {
    let reachable = this.db.open;
    try {
      if (reachable) this.db.prepare('SELECT 1').get();
    } catch {
      reachable = false;
    }
    return { reachable, writable: reachable && !this.commits.lastCommitFailed };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    await this.commits.drained();
    await this.checkpointer?.stop();
    this.db.close();
  }

  private readable(): SqliteStatements {
    if (!this.db.open) throw new StoreUnavailableError('the store is closed');
    return this.statements;
  }

  /** A read on the use case's path: a store that cannot answer it is unavailable (503), not broken. */
  private reading<T>(read: (statements: SqliteStatements) => T): T {
    const statements = this.readable();
    try {
      return read(statements);
    } catch (error) {
      if (isSqliteError(error)) throw new StoreUnavailableError('the store cannot be read', { cause: error });
      throw error;
    }
  }

  async changeCompany(change: CompanyChange): Promise<'created' | 'updated'> {
    const s = this.readable();
    const found = s.findCompany.get(change.companyId) as Row | undefined;
    const existing = found ? toCompanyRecord(found) : undefined;
    this.writeCompanies([changedRecord(existing, change, this.options.sealer)]);
    return existing ? 'updated' : 'created';
  }

  async listCompanies(): Promise<CompanySummary[]> {
    return this.companyRecords().map(summaryOf);
  }

  async resealSecrets(to: Sealer): Promise<number> {
    const records = this.companyRecords().map((record) => resealedRecord(record, this.options.sealer, to));
    this.writeCompanies(records);
    return records.length;
  }

  private companyRecords(): CompanyRecord[] {
    return (this.readable().allCompanies.all() as Row[]).map(toCompanyRecord);
  }

  /** Writes company rows in one transaction (between group commits: both run synchronously). */
  private writeCompanies(records: readonly CompanyRecord[]): void {
    const write = this.statements.writeCompany;
    this.db.transaction(() => {
      for (const record of records) write.run({ ...record, test: record.test ? 1 : 0 });
    }).immediate();
    this.companies.clear();
  }

  async findPayment(companyId: string, number: string): Promise<PaymentWithHistory | undefined> {
    const s = this.readable();
    const row = s.findPayment.get(companyId, number) as Row | undefined;
    if (!row) return undefined;
    return { ...toPayment(row), history: (s.listHistory.all(companyId, number) as Row[]).map(toHistoryEntry) };
  }

  async listPayments(companyId: string, bookingId?: string): Promise<Payment[]> {
    const s = this.readable();
    const rows = bookingId === undefined ? s.listPayments.all(companyId) : s.listPaymentsOfBooking.all(companyId, bookingId);
    return (rows as Row[]).map(toPayment);
  }

  async listCallbacks(filter: CallbackFilter): Promise<StoredCallback[]> {
    const rows = this.readable().listCallbacks.all({ company: filter.companyId ?? null, outcome: filter.outcome ?? null, limit: filter.limit ?? 100 });
    return (rows as Row[]).map(toStoredCallback);
  }

  async findCallback(callbackId: number): Promise<StoredCallback | undefined> {
    const row = this.readable().findCallback.get(callbackId) as Row | undefined;
    return row ? toStoredCallback(row) : undefined;
  }
}
