import pg from 'pg';
import { adminUrl } from './postgres-url';

/**
 * Runs once before the PostgreSQL suites: if no server answers, they are skipped with a clear
 * message, unless REQUIRE_POSTGRES=1 (CI), which makes it an error.
 */
export default async function postgresAvailable(): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    delete process.env.POSTGRES_UNAVAILABLE;
  } catch (error) {
    const reason = `PostgreSQL is not reachable at ${adminUrl()}: ${(error as Error).message}`;
    if (process.env.REQUIRE_POSTGRES === '1') throw new Error(`${reason} (REQUIRE_POSTGRES=1)`);
    process.env.POSTGRES_UNAVAILABLE = reason;
    console.warn(`\n*** Skipping the PostgreSQL suites. ${reason}. Set REQUIRE_POSTGRES=1 to make this an error.\n`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
