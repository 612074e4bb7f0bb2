import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from './stores';

/**
 * Makes the database refuse the service's writes until the returned function is called:
 * SQLite — another connection holds the write lock; PostgreSQL — the inbox table gets a
 * constraint no row can satisfy. Reads keep working, as they would on a full or locked disk.
 */
export async function refuseWrites(database: TestDatabase): Promise<() => Promise<void>> {
  if (database.url.startsWith('sqlite:')) {
    const holder = new Database(database.url.slice('sqlite:'.length));
    holder.pragma('busy_timeout = 0');
    holder.exec('BEGIN EXCLUSIVE');
    return async () => {
      holder.exec('ROLLBACK');
      holder.close();
    };
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('ALTER TABLE callbacks ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID');
  return async () => {
    await client.query('ALTER TABLE callbacks DROP CONSTRAINT refuse_writes');
    await client.end();
  };
}
