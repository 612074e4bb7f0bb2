import Database from 'better-sqlite3';
import { sealerFor } from '../../src/secrets/sealer';
import { resolveSecretsKey } from '../../src/secrets/store-key';
import { SqliteStore } from '../../src/store/sqlite/store';
import type { BenchCompany } from './traffic';

export interface Durability {
  /** As the service's own store reports it on open (synchronous is per connection: 2 = FULL). */
  journalMode: string;
  synchronous: number;
  /** journal_mode as a separate connection sees the file (WAL is persistent, synchronous is not). */
  fileJournalMode: string;
}

/**
 * Creates a fresh store file through the service's own SqliteStore (migrations, pragmas), with
 * the benchmark company's secret configured, and reports the durability settings it opened with.
 */
export async function prepareStore(file: string, company: BenchCompany): Promise<Durability> {
  const store = await SqliteStore.open({
    file,
    retention: { rows: 10_000, bytes: 256 * 1024 * 1024 },
    sealer: sealerFor(resolveSecretsKey({ secretsKeyFile: undefined, databaseUrl: `sqlite:${file}` })),
  });
  await store.changeCompany({ companyId: company.companyId, secret: company.secret, now: new Date().toISOString() });
  const { journalMode, synchronous } = store.durability();
  await store.close();
  return { journalMode, synchronous, fileJournalMode: fileJournalMode(file) };
}

function fileJournalMode(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return String(db.pragma('journal_mode', { simple: true }));
  } finally {
    db.close();
  }
}

export interface StoredFigures {
  payments: number;
  callbacks: number;
  outcomes: Record<string, number>;
}

/** What the service stored, read after it stopped: the outcome of every callback it answered. */
export function inspectStore(file: string): StoredFigures {
  const db = new Database(file, { readonly: true });
  try {
    const outcomes = Object.fromEntries(
      (db.prepare('SELECT outcome, count(*) AS n FROM callbacks GROUP BY outcome ORDER BY outcome').all() as Array<{ outcome: string; n: number }>).map(
        ({ outcome, n }) => [outcome, n],
      ),
    );
    const count = (table: string) => Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
    return { payments: count('payments'), callbacks: count('callbacks'), outcomes };
  } finally {
    db.close();
  }
}
