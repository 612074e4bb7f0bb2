import { Writable } from 'node:stream';
import pg from 'pg';
import { loadConfig } from '../../src/config';
import { startService, type Service } from '../../src/main';
import { createLogger } from '../../src/observability/logger';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

const LIMIT = 5;
const OVER = 5;
const STALL_MS = 3000;

/**
 * Makes the store's writes wait until the returned function is called.
 *
 * PostgreSQL: another connection holds an EXCLUSIVE lock on the inbox, so each callback's write
 * waits in the database (reads go on), exactly as behind a slow or locked disk.
 *
 * SQLite: better-sqlite3 is synchronous, so a write waiting for a lock (or a slow fsync) blocks
 * the whole event loop: nothing, not even a 503, could be answered meanwhile, and after the busy
 * timeout the batch fails. What the limit guards against there is work piling up faster than
 * the group commit writes it; the test holds the group commit's flush back to build that queue.
 */
async function stallWrites(service: Service, database: TestDatabase): Promise<() => Promise<void>> {
  if (engine === 'postgres') {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE callbacks IN EXCLUSIVE MODE');
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  }
  const commits = (service.store as unknown as { commits: { flush: () => void } }).commits;
  const flush = commits.flush.bind(commits);
  let open!: () => void;
  const stalled = new Promise<void>((resolve) => (open = resolve));
  commits.flush = () => void stalled.then(flush);
  return async () => {
    open();
    delete (commits as { flush?: unknown }).flush;
  };
}

describeStore(`COMMIT_QUEUE_LIMIT=${LIMIT} with a stalled store`, () => {
  let database: TestDatabase;
  let service: Service;
  let merchant: Merchant;
  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', ...database.environment, COMMIT_QUEUE_LIMIT: String(LIMIT) });
    service = await startService(config, { logger: createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() })) });
    merchant = await aMerchant(service.store);
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
  });

  async function send(number: string): Promise<{ status: number; text: string; ms: number }> {
    const callback = aCallback({ merchant, number });
    const started = Date.now();
    const response = await fetch(`${service.http.url}${callback.path}`, callback.init);
    return { status: response.status, text: await response.text(), ms: Date.now() - started };
  }

  it(`answers callbacks beyond ${LIMIT} waiting writes 503 at once, storing nothing; the waiting ones complete once the stall ends`, async () => {
    const settles = jest.spyOn(service.store, 'settle');
    const release = await stallWrites(service, database);
    let waiting: Array<Promise<{ status: number; text: string; ms: number }>> = [];
    let refused: Array<{ status: number; text: string; ms: number }>;
    const stallStarted = Date.now();
    try {
      waiting = Array.from({ length: LIMIT }, (_, index) => send(`q-${index}`));
      while (settles.mock.calls.length < LIMIT) await new Promise((resolve) => setTimeout(resolve, 10));
      // Each is answered while the stall goes on: if one waited for it, this would not resolve in time.
      const overLimit = Promise.all(Array.from({ length: OVER }, (_, index) => send(`over-${index}`)));
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the callbacks over the limit waited for the stall')), STALL_MS));
      refused = await Promise.race([overLimit, timeout]);
      const remaining = STALL_MS - (Date.now() - stallStarted);
      if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    } finally {
      await release();
      settles.mockRestore();
    }
    console.log(`[${engine}] over the limit: answered in ${refused.map((answer) => answer.ms).join(', ')} ms while the store stalled for ${STALL_MS} ms`);
    expect(refused.map((answer) => [answer.status, JSON.parse(answer.text).ResponseStatus.ErrorCode])).toEqual(
      Array.from({ length: OVER }, () => [503, 'ServiceUnavailable']),
    );
    for (const answer of refused) expect(answer.ms).toBeLessThan(1000);

    const completed = await Promise.all(waiting);
    expect(completed.map((answer) => [answer.status, answer.text])).toEqual(
      Array.from({ length: LIMIT }, (_, index) => [200, `{"Message":"Payment q-${index} is now Paid","Success":true}`]),
    );
    for (const answer of completed) expect(answer.ms).toBeGreaterThanOrEqual(STALL_MS - 200);
    const rows = await service.store.listCallbacks({ companyId: merchant.companyId, limit: 100 });
    expect(rows.map((row) => row.number).sort()).toEqual(Array.from({ length: LIMIT }, (_, index) => `q-${index}`));
  });
});
