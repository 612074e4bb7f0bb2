import { Writable } from 'node:stream';
import type pg from 'pg';
import { loadConfig } from '../../src/config';
import { startService, type Service } from '../../src/main';
import { createLogger } from '../../src/observability/logger';
import { SqliteStore } from '../../src/store/sqlite/store';
import { aCallback, aMerchant } from '../support/callbacks';
import { adminQuery, createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

/**
 * An answer 200 promises the callback's commit is durable. That holds only if the connections
 * the service itself opened (from DATABASE_URL, as `serve` does) run with the durable settings,
 * whatever the database or the server default to.
 */
describeStore('the service’s own connections commit durably', () => {
  let database: TestDatabase;
  let service: Service;
  beforeAll(async () => {
    database = await createTestDatabase();
    if (engine === 'postgres') {
      // A database whose default is not durable: the service must not inherit it.
      await adminQuery(`ALTER DATABASE ${new URL(database.url).pathname.slice(1)} SET synchronous_commit = off`);
    }
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', ...database.environment });
    service = await startService(config, { logger: createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() })) });
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
  });

  (engine === 'postgres' ? it : it.skip)('PostgreSQL: synchronous_commit is on in every live connection of the pool, though the database defaults to off', async () => {
    const merchant = await aMerchant(service.store);
    const callback = aCallback({ merchant, number: 'sync-1' });
    expect((await fetch(`${service.http.url}${callback.path}`, callback.init)).status).toBe(200);
    // The pool is private to the store; this reads it only to ask its connections, never to write.
    const pool = (service.store as unknown as { pool: pg.Pool }).pool;
    const clients = await Promise.all(Array.from({ length: 3 }, () => pool.connect()));
    try {
      const settings = await Promise.all(
        clients.map(async (client) => (await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit),
      );
      expect(settings).toEqual(['on', 'on', 'on']);
      const fresh = await clients[0]?.query<{ setting: string; source: string }>("SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'");
      expect(fresh?.rows[0]).toEqual({ setting: 'on', source: 'client' });
    } finally {
      for (const client of clients) client.release();
    }
  });

  (engine === 'sqlite' ? it : it.skip)('SQLite: the service’s connection runs WAL with synchronous=FULL', async () => {
    expect(service.store).toBeInstanceOf(SqliteStore);
    expect((service.store as SqliteStore).durability()).toEqual({ journalMode: 'wal', synchronous: 2, walAutocheckpoint: 0 });
  });
});
