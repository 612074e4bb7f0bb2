import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/open';
import type { RejectedRetention } from '../../src/store/sqlite/store';
import type { PaymentStore, StoreEngine } from '../../src/store/types';
import { adminUrl, databaseUrl } from './postgres-url';

export const engine: StoreEngine = process.env.TEST_STORE_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** `describe` for this project's engine, skipped (with the reason as its title) if PostgreSQL is absent. */
export const describeStore: jest.Describe = (
  engine === 'postgres' && process.env.POSTGRES_UNAVAILABLE ? describe.skip : describe
) as jest.Describe;

export const DEFAULT_RETENTION: RejectedRetention = { rows: 10_000, bytes: 256 * 1024 * 1024 };

/** A fresh, empty database of the current engine, and how to remove it. */
export interface TestDatabase {
  url: string;
  open(options?: { retention?: Partial<RejectedRetention>; commitQueueLimit?: number }): Promise<PaymentStore>;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: StoreEngine = engine): Promise<TestDatabase> {
  let url: string;
  let drop: () => Promise<void>;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-'));
    url = `sqlite:${path.join(dir, 'store.sqlite')}`;
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const name = `qvickly_ipn_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    url = databaseUrl(name);
    drop = () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  return {
    url,
    open: (options) =>
      openStore({
        databaseUrl: url,
        retention: { rows: options?.retention?.rows ?? DEFAULT_RETENTION.rows, bytes: options?.retention?.bytes ?? DEFAULT_RETENTION.bytes },
        commitQueueLimit: options?.commitQueueLimit,
      }),
    drop,
  };
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
