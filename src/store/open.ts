import path from 'node:path';
import { sealerFor } from '../secrets/sealer';
import type { Migration } from './migrate';
import type { RejectedRetention } from './sqlite/store';
import type { PaymentStore } from './types';

export interface StoreSettings {
  databaseUrl: string | undefined;
  retention: RejectedRetention;
  /** The key that seals companies' secrets (see src/secrets/store-key.ts). */
  secretsKey: Buffer;
  commitQueueLimit?: number;
  /** Told of each migration applied while opening. */
  onMigration?: (migration: Migration) => void;
}

const DEFAULT_SQLITE_FILE = path.join('data', 'qvickly-ipn.sqlite');

/** DATABASE_URL, or the embedded SQLite default when it is unset. */
export function databaseUrlOf(databaseUrl: string | undefined): string {
  return databaseUrl?.trim() || `sqlite:${DEFAULT_SQLITE_FILE}`;
}

/**
 * Opens the store DATABASE_URL names (unset = SQLite under ./data, `sqlite:<file>`, or
 * `postgres://…`) and brings its schema up to date with the one migration runner.
 */
export async function openStore(settings: StoreSettings): Promise<PaymentStore> {
  const url = databaseUrlOf(settings.databaseUrl);
  const { retention, commitQueueLimit, onMigration } = settings;
  const sealer = sealerFor(settings.secretsKey);
  if (url.startsWith('sqlite:')) {
    const { SqliteStore } = await import('./sqlite/store');
    return SqliteStore.open({ file: url.slice('sqlite:'.length), sealer, retention, commitQueueLimit }, onMigration);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { PostgresStore } = await import('./postgres/store');
    return PostgresStore.open({ connectionString: url, sealer, retention, commitQueueLimit }, onMigration);
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres://, got '${url.split(':')[0]}:'`);
}
