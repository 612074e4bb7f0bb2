import path from 'node:path';
import { SqliteStore } from './sqlite';
import type { PaymentStore } from './types';

export interface StoreSettings {
  databaseUrl: string | undefined;
  rejectedCallbackCap: number;
}

export const DEFAULT_SQLITE_FILE = path.join('data', 'qvickly-ipn.sqlite');

/** Picks the store from DATABASE_URL: unset = SQLite under ./data, `sqlite:<file>`, or `postgres://…`. */
export async function openStore(settings: StoreSettings): Promise<PaymentStore> {
  const url = settings.databaseUrl?.trim() || `sqlite:${DEFAULT_SQLITE_FILE}`;
  if (url.startsWith('sqlite:')) {
    return new SqliteStore({ file: url.slice('sqlite:'.length), rejectedCallbackCap: settings.rejectedCallbackCap });
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { PostgresStore } = await import('./postgres');
    const store = new PostgresStore({ connectionString: url, rejectedCallbackCap: settings.rejectedCallbackCap });
    await store.migrate();
    return store;
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres://, got '${url.split(':')[0]}:'`);
}
