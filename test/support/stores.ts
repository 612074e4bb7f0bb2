import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/open';
import type { PaymentStore, StoreEngine } from '../../src/store/types';
import { adminUrl, databaseUrl } from './postgres-url';

export const engine: StoreEngine = process.env.TEST_STORE_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** `describe` for this project's engine, skipped (with the reason as its title) if PostgreSQL is absent. */
export const describeStore: jest.Describe = (
  engine === 'postgres' && process.env.POSTGRES_UNAVAILABLE ? describe.skip : describe
) as jest.Describe;

/** A fresh, empty database of the current engine, and how to remove it. */
export interface TestDatabase {
  url: string;
  open(options?: { rejectedCallbackCap?: number }): Promise<PaymentStore>;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: StoreEngine = engine): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-'));
    const url = `sqlite:${path.join(dir, 'store.sqlite')}`;
    return {
      url,
      open: (options) => openStore({ databaseUrl: url, rejectedCallbackCap: options?.rejectedCallbackCap ?? 10_000 }),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `qvickly_ipn_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  return {
    url,
    open: (options) => openStore({ databaseUrl: url, rejectedCallbackCap: options?.rejectedCallbackCap ?? 10_000 }),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
