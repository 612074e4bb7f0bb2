import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SECRET_KEY_BYTES } from '../../src/secrets/secret-box';
import { openStore } from '../../src/store/open';
import type { BenchCompany } from './traffic';

export interface BenchDatabase {
  /** DATABASE_URL and SECRETS_KEY_FILE of the service on it. */
  env: Record<string, string>;
  /** How many payments and callbacks it holds (after the service stopped). */
  inspect(): Promise<{ payments: number; callbacks: number; outcomes: Record<string, number> }>;
  drop(): Promise<void>;
}

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Whether PostgreSQL answers at `adminUrl` (the target is skipped, said loudly, when not). */
export async function postgresAnswers(adminUrl: string): Promise<boolean> {
  try {
    await onServer(adminUrl, 'SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * A fresh database on the server of `adminUrl`, migrated by the service's own store, with the
 * benchmark company's secret sealed under a new key file in `dir`.
 */
export async function preparePostgres(adminUrl: string, company: BenchCompany, dir: string): Promise<BenchDatabase> {
  const name = `qvickly_ipn_bench_${randomBytes(6).toString('hex')}`;
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const secretsKey = randomBytes(SECRET_KEY_BYTES);
  const keyFile = path.join(dir, 'postgres-secrets.key');
  writeFileSync(keyFile, `${secretsKey.toString('base64')}\n`, { mode: 0o600 });
  const store = await openStore({ databaseUrl, secretsKey, retention: { rows: 10_000, bytes: 256 * 1024 * 1024 } });
  try {
    await store.changeCompany({ companyId: company.companyId, secret: company.secret, now: new Date().toISOString() });
  } finally {
    await store.close();
  }
  return {
    env: { DATABASE_URL: databaseUrl, SECRETS_KEY_FILE: keyFile },
    async inspect() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const outcomes = await client.query<{ outcome: string; n: string }>('SELECT outcome, count(*) AS n FROM callbacks GROUP BY outcome ORDER BY outcome');
        const payments = await client.query<{ n: string }>('SELECT count(*) AS n FROM payments');
        const entries = outcomes.rows.map(({ outcome, n }) => [outcome, Number(n)] as const);
        return { payments: Number(payments.rows[0]?.n ?? 0), callbacks: entries.reduce((sum, [, n]) => sum + n, 0), outcomes: Object.fromEntries(entries) };
      } finally {
        await client.end();
      }
    },
    drop: () => onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
