import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../ipn/ports';
import { isSqliteError } from './errors';
import type { GroupCommit } from './group-commit';

/**
 * How the parts of the embedded store reach the database: writes through the store's group
 * commit (durable when they resolve, never interleaved with a callback's write), reads
 * directly, a failure of either as StoreUnavailableError.
 */
export class SqliteAccess {
  constructor(
    private readonly db: Database.Database,
    private readonly commits: GroupCommit,
  ) {}

  write<T>(work: () => T): Promise<T> {
    if (!this.db.open) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return this.commits.run(work);
  }

  read<T>(work: () => T): T {
    if (!this.db.open) throw new StoreUnavailableError('the store is closed');
    try {
      return work();
    } catch (error) {
      if (isSqliteError(error)) throw new StoreUnavailableError('the store cannot be read', { cause: error });
      throw error;
    }
  }
}
