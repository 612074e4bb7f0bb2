import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from './stores';

/** Runs one read on the test database directly (not through the store), rows as plain objects, timestamps as ISO text. */
export async function rawRows(database: TestDatabase, sql: { sqlite: string; postgres: string }, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  if (database.url.startsWith('sqlite:')) {
    const db = new Database(database.url.slice('sqlite:'.length), { readonly: true });
    try {
      return db.prepare(sql.sqlite).all(...values) as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query(sql.postgres, values);
    return rows.map((row: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? Number(value) : value])),
    );
  } finally {
    await client.end();
  }
}

export interface OutboxRow {
  sequence: number;
  type: string;
  state: string;
  status: string;
  previousStatus: string | null;
  /** The confirmation column, parsed. */
  confirmation: Record<string, unknown> | null;
  callbackId: number | null;
  nextAttemptAt: string;
}

/** A payment's rows in payment_events, in sequence order. */
export async function outboxOf(database: TestDatabase, companyId: string, number: string): Promise<OutboxRow[]> {
  const columns = 'sequence, type, state, status, previous_status, confirmation, callback_id, next_attempt_at';
  const rows = await rawRows(
    database,
    {
      sqlite: `SELECT ${columns} FROM payment_events WHERE company_id = ? AND number = ? ORDER BY sequence`,
      postgres: `SELECT ${columns} FROM payment_events WHERE company_id = $1 AND number = $2 ORDER BY sequence`,
    },
    [companyId, number],
  );
  return rows.map((row) => ({
    sequence: Number(row.sequence),
    type: String(row.type),
    state: String(row.state),
    status: String(row.status),
    previousStatus: row.previous_status === null ? null : String(row.previous_status),
    confirmation: row.confirmation === null ? null : (JSON.parse(String(row.confirmation)) as Record<string, unknown>),
    callbackId: row.callback_id === null ? null : Number(row.callback_id),
    nextAttemptAt: new Date(String(row.next_attempt_at)).toISOString(),
  }));
}

/** Runs a write on the test database from a connection of its own, as another process would (SQLite: ? placeholders; PostgreSQL: $n). */
export async function rawWrite(database: TestDatabase, sql: { sqlite: string; postgres: string }, values: unknown[] = []): Promise<void> {
  if (database.url.startsWith('sqlite:')) {
    const db = new Database(database.url.slice('sqlite:'.length));
    try {
      db.pragma('busy_timeout = 5000');
      // Without values it may be several statements (a trigger, say).
      if (values.length === 0) db.exec(sql.sqlite);
      else db.prepare(sql.sqlite).run(...values);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(sql.postgres, values);
  } finally {
    await client.end();
  }
}
