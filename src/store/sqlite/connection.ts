import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { MigrationTarget } from '../migrate';
import { Checkpointer } from './checkpointer';

export interface ConnectionOptions {
  file: string;
  /** How long a write waits for another connection's lock before the callback gets 503. */
  busyTimeoutMs?: number;
}

/**
 * Opens the embedded database: WAL with synchronous=FULL, so a COMMIT has reached the disk when
 * it returns; foreign keys on; checkpoints on their own thread for a file (SQLite takes them back
 * should that thread ever stop). The folder is created 0700 and the database 0600 (SQLite gives
 * its -wal and -shm files the database's permissions).
 */
export function openConnection(options: ConnectionOptions): { db: Database.Database; checkpointer: Checkpointer | undefined } {
  const inMemory = options.file === ':memory:';
  if (!inMemory) createPrivately(path.resolve(options.file));
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 1000)}`);
  if (inMemory) return { db, checkpointer: undefined };
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  const checkpointer = new Checkpointer(path.resolve(options.file), () => {
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
  });
  return { db, checkpointer };
}

/** Migrations on one connection: SQLite's own write lock (BEGIN IMMEDIATE per migration) is the lock. */
export function migrationTarget(db: Database.Database): MigrationTarget {
  return {
    withLock: (work) => work(),
    appliedVersions: async () => {
      db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      return new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all().map(Number));
    },
    apply: async (migration, appliedAt) => {
      db.transaction(() => {
        db.exec(migration.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, appliedAt);
      }).immediate();
    },
  };
}

/** The database's folder (0700) and file (0600), created before SQLite opens it. */
function createPrivately(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}
