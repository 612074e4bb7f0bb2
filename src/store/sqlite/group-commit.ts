import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../ipn/ports';
import { isSqliteError } from './errors';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitLimits {
  /** Most work items committed together. */
  maxBatch: number;
  /** Most work items waiting; beyond it a write is refused at once instead of queued. */
  queueLimit: number;
}

/** A work item failed (not the transaction around it): its batch is worth retrying one by one. */
class WorkFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('a write in the batch failed');
  }
}


/**
 * Group commit for one SQLite connection. Work items that arrive while a batch is being written
 * are committed together in the next one; each caller is answered only after its batch's COMMIT
 * has reached the disk. A batch runs synchronously from BEGIN to COMMIT, so no other code (no
 * read on this connection) ever sees a batch half-written.
 */
export class GroupCommit {
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private readonly begin: Database.Statement;
  private readonly commitStatement: Database.Statement;
  private readonly rollback: Database.Statement;
  /** Whether the last batch failed to commit; cleared by the next batch that commits. */
  lastCommitFailed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly limits: GroupCommitLimits,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commitStatement = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /** Queues `work` for the next batch; resolves with its value once that batch is durable. */
  run<T>(work: () => T): Promise<T> {
    if (this.queue.length >= this.limits.queueLimit) {
      return Promise.reject(new StoreUnavailableError(`${this.queue.length} writes are already waiting for the disk`));
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves once nothing is queued or being written. */
  async drained(): Promise<void> {
    while (this.scheduled) await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * One group commit. If one work item fails, the whole batch is rolled back and each item is
   * run again in a transaction of its own, so one failure costs only its own caller (rare, and
   * cheaper than a savepoint around every item on the common path).
   */
  private flush(): void {
    const batch = this.queue.splice(0, this.limits.maxBatch);
    try {
      const values = this.commit(batch);
      batch.forEach((item, index) => item.resolve(values[index]));
    } catch (error) {
      if (error instanceof WorkFailed && batch.length > 1) {
        for (const item of batch) {
          try {
            item.resolve(this.commit([item])[0]);
          } catch (failure) {
            item.reject(failure instanceof WorkFailed ? failure.cause : failure);
          }
        }
      } else {
        for (const item of batch) item.reject(error instanceof WorkFailed ? error.cause : error);
      }
    }
    if (this.queue.length > 0) setImmediate(() => this.flush());
    else this.scheduled = false;
  }

  /** Runs work items in one transaction; returns once the COMMIT has reached the disk. */
  private commit(batch: Pending[]): unknown[] {
    try {
      this.begin.run();
    } catch (error) {
      throw this.failed(new StoreUnavailableError('the store cannot start a write', { cause: error }));
    }
    const values: unknown[] = [];
    try {
      for (const item of batch) {
        try {
          values.push(item.work());
        } catch (error) {
          throw new WorkFailed(isSqliteError(error) ? this.failed(new StoreUnavailableError('a write failed', { cause: error })) : error);
        }
      }
      this.commitStatement.run();
      this.lastCommitFailed = false;
      return values;
    } catch (error) {
      this.rollBack();
      if (error instanceof WorkFailed) throw error;
      throw this.failed(new StoreUnavailableError('the store could not commit', { cause: error }));
    }
  }

  private rollBack(): void {
    try {
      if (this.db.inTransaction) this.rollback.run();
    } catch {
      // SQLite rolls back by itself when it cannot (I/O error, full disk): nothing is committed either way.
    }
  }

  private failed(error: StoreUnavailableError): StoreUnavailableError {
    this.lastCommitFailed = true;
    return error;
  }
}
