import pg from 'pg';
import type { MigrationTarget } from '../migrate';
import { connectTo } from './pool';
import { TYPES } from './values';

// Any constant shared by every instance: serialises migrations when several start at once.
const MIGRATION_LOCK = 4_242_001;

/**
 * The pool every query of the store runs on: synchronous_commit=on (a COMMIT has reached the
 * server's disk when it returns), bounded waits, and the column types the rows need.
 */
export function createPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 10_000,
    query_timeout: 10_000,
    options: '-c synchronous_commit=on',
    types: TYPES,
  });
  // An idle connection dropped by the server must not take the process down; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Migrations on one connection holding an advisory lock, each in its own transaction. */
export function migrationTarget(pool: pg.Pool): MigrationTarget {
  let client: pg.PoolClient | undefined;
  const connected = (): pg.PoolClient => {
    if (!client) throw new Error('migrations run only inside withLock');
    return client;
  };
  return {
    withLock: async (work) => {
      client = await connectTo(pool);
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
        client.release();
        client = undefined;
      }
    },
    appliedVersions: async () => {
      const db = connected();
      await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
      const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
      return new Set(rows.map((row) => Number(row.version)));
    },
    apply: async (migration, appliedAt) => {
      const db = connected();
      await db.query('BEGIN');
      try {
        await db.query(migration.sql);
        await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, appliedAt]);
        await db.query('COMMIT');
      } catch (error) {
        await db.query('ROLLBACK');
        throw error;
      }
    },
  };
}
