import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';

/**
 * Waits until a SIGKILLed service's PostgreSQL backends are gone. The server goes on with a
 * killed client's transactions until it notices the closed socket: a COMMIT already sent can
 * still land after the kill, and a check that reads the inbox, then the payments, in between
 * would see one without the other. Resolves with how long it waited; throws after `timeoutMs`.
 * SQLite needs no wait: a killed process writes nothing more.
 */
export async function killedBackendsGone(databaseUrl: string, timeoutMs = 15_000): Promise<number> {
  if (!databaseUrl.startsWith('postgres')) return 0;
  const started = Date.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ others: string }>(
        'SELECT count(*) AS others FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      if (Number(rows[0]?.others ?? 0) === 0) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`the killed service's PostgreSQL backends were still there after ${timeoutMs} ms`);
      await delay(50);
    }
  } finally {
    await client.end();
  }
}
