import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SECRET_KEY_BYTES } from '../../src/secrets/secret-box';
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
  /** The key this database's secrets are sealed with (every open uses it). */
  secretsKey: Buffer;
  /** DATABASE_URL and SECRETS_KEY_FILE for a service process on this database. */
  environment: Record<string, string>;
  open(options?: { retention?: Partial<RejectedRetention>; commitQueueLimit?: number }): Promise<PaymentStore>;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: StoreEngine = engine): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-'));
  let url: string;
  let dropDatabase = async (): Promise<void> => undefined;
  if (kind === 'sqlite') {
    url = `sqlite:${path.join(dir, 'store.sqlite')}`;
  } else {
    const name = `qvickly_ipn_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    url = databaseUrl(name);
    dropDatabase = () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  const secretsKey = randomBytes(SECRET_KEY_BYTES);
  const keyFile = path.join(dir, 'secrets.key');
  writeFileSync(keyFile, `${secretsKey.toString('base64')}\n`, { mode: 0o600 });
  const drop = async (): Promise<void> => {
    await dropDatabase();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    url,
    secretsKey,
    environment: { DATABASE_URL: url, SECRETS_KEY_FILE: keyFile },
    open: (options) =>
      openStore({
        databaseUrl: url,
        secretsKey,
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
