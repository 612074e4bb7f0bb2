import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Options } from './options';

/** A fresh database for one crash test: an SQLite file in a temporary folder, or a new PostgreSQL database. */
export interface Database {
  url: string;
  describe: string;
  remove(): Promise<void>;
}

export async function createDatabase(options: Options): Promise<Database> {
  if (options.engine === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-crash-'));
    const file = path.join(dir, 'store.sqlite');
    return { url: `sqlite:${file}`, describe: file, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `qvickly_ipn_crash_${randomBytes(6).toString('hex')}`;
  await adminQuery(options.postgresUrl, `CREATE DATABASE ${name}`);
  const url = new URL(options.postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    describe: `PostgreSQL database ${name}`,
    remove: () => adminQuery(options.postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
