import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StoreEngine } from './types';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** What the runner needs of an engine. */
export interface MigrationTarget {
  /** Runs `work` holding the engine's migration lock, so instances starting together migrate once. */
  withLock<T>(work: () => Promise<T>): Promise<T>;
  /** The versions already applied (creating the bookkeeping table if needed). */
  appliedVersions(): Promise<Set<number>>;
  /** Runs one migration and records it, in one transaction. */
  apply(migration: Migration, appliedAt: string): Promise<void>;
}

// Shipped beside the compiled code: the build copies src/store/migrations to dist/src/store/migrations.
const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const FILE_NAME = /^(\d{3})-([a-z0-9-]+)\.sql$/;

/** The numbered plain-SQL migrations of an engine (`NNN-name.sql`), in order. */
function loadMigrations(engine: StoreEngine): Migration[] {
  const dir = path.join(MIGRATIONS_DIR, engine);
  return readdirSync(dir)
    .sort()
    .flatMap((file) => {
      const match = FILE_NAME.exec(file);
      if (!match) return [];
      return [{ version: Number(match[1]), name: match[2] ?? '', sql: readFileSync(path.join(dir, file), 'utf8') }];
    });
}

/** The one migration runner, for both engines: applies what is pending, in order; returns what it applied. */
export async function runMigrations(target: MigrationTarget, engine: StoreEngine, onApplied?: (migration: Migration) => void): Promise<void> {
  await target.withLock(async () => {
    const applied = await target.appliedVersions();
    for (const migration of loadMigrations(engine)) {
      if (applied.has(migration.version)) continue;
      await target.apply(migration, new Date().toISOString());
      onApplied?.(migration);
    }
  });
}
