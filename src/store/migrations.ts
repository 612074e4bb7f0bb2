import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { migrationsDir } from '../paths';
import type { StoreEngine } from './types';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The numbered plain-SQL migrations of an engine (`NNN-name.sql`), in order. */
export function loadMigrations(engine: StoreEngine): Migration[] {
  const dir = migrationsDir(engine);
  return readdirSync(dir)
    .filter((file) => /^\d{3}-[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(path.join(dir, file), 'utf8'),
    }));
}
