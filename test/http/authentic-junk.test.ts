import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { callbackUrl, signCallback } from '../../src/client/sign';
import { replayCallback } from '../../src/ipn/replay';
import type { PaymentStore } from '../../src/store/types';
import { aCallback, aMerchant } from '../support/callbacks';
import { startTestService, type TestService } from '../support/service';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

const ROUTE = '/payment/billmate/v1/ipncallback';
const COPIES = 150;
const BODY_BYTES = 60_000;
const QUERY_JUNK_BYTES = 8_000;
// What 150 stored bodies would cost, and what one body, one query and 149 rows of metadata may.
const NAIVE_GROWTH = COPIES * BODY_BYTES;
const GROWTH_BOUND = 512 * 1024;

/** Incompressible filler (PostgreSQL compresses large values; repeated letters would hide the growth). */
const junk = (bytes: number): string => randomBytes(Math.ceil(bytes / 2)).toString('hex').slice(0, bytes);

/** How much the inbox takes: SQLite's pages (WAL included), or PostgreSQL's callbacks table with its TOAST and indexes. */
async function inboxBytes(database: TestDatabase): Promise<number> {
  if (engine === 'sqlite') {
    const db = new Database(database.url.slice('sqlite:'.length), { readonly: true });
    try {
      return Number(db.pragma('page_count', { simple: true })) * Number(db.pragma('page_size', { simple: true }));
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string }>("SELECT pg_total_relation_size('callbacks') AS bytes");
    return Number(rows[0]?.bytes);
  } finally {
    await client.end();
  }
}

describeStore('an authentic callback padded with junk and sent again and again', () => {
  const context = useServiceOnFreshStore();

  it(`stores its ~60 KB body and 8 KB query once, not ${COPIES} times: every repeat keeps only metadata and the first copy's id`, async () => {
    const merchant = await aMerchant(context.store);
    const signed = signCallback(merchant.secret, { number: 'junk-1', status: 'Paid', orderid: 'O', url: '' });
    // Unknown members are ignored by binding and not covered by the signature; the envelope stays authentic.
    const body = `{"credentials":{"hash":"${signed.hash}"},"data":${signed.signedData},"unknown":"${junk(BODY_BYTES)}","more":{"a":[1,2,3]}}`;
    const signedUrl = callbackUrl({ secret: merchant.secret, companyId: merchant.companyId, bookingId: 'B', articleTypeId: 1, base: '' });
    const query = `${signedUrl.split('?')[1]}&junk=${junk(QUERY_JUNK_BYTES)}`;
    const before = await inboxBytes(context.database);

    const answers: string[] = [];
    for (let copy = 0; copy < COPIES; copy++) {
      const answer = await context.service.send(`${ROUTE}?${query}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      answers.push(`${answer.status} ${answer.text}`);
    }
    expect(answers[0]).toBe('200 {"Message":"Payment junk-1 is now Paid","Success":true}');
    expect(new Set(answers.slice(1))).toEqual(new Set(['200 {"Message":"Callback already received for payment junk-1; nothing changed","Success":true}']));

    const rows = (await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1000 })).reverse();
    const [first, ...repeats] = rows;
    expect(first).toMatchObject({ outcome: 'applied', query, duplicateOf: null });
    expect(first?.body.toString('utf8')).toBe(body);
    expect(repeats).toHaveLength(COPIES - 1);
    for (const repeat of repeats) {
      expect([repeat.outcome, repeat.body.length, repeat.query, repeat.duplicateOf]).toEqual(['duplicate', 0, '', first?.callbackId]);
    }

    const growth = (await inboxBytes(context.database)) - before;
    console.log(
      `[${engine}] ${COPIES} copies of a ${body.length}-byte body with a ${query.length}-byte query: the inbox grew by ${(growth / 1024).toFixed(0)} KiB ` +
        `(${COPIES} bodies would be ${(NAIVE_GROWTH / 1024).toFixed(0)} KiB)`,
    );
    expect(growth).toBeLessThan(GROWTH_BOUND);
  });

  it('replays a stored duplicate from its first copy, which holds the body', async () => {
    const merchant = await aMerchant(context.store);
    const callback = aCallback({ merchant, number: 'junk-2' });
    await context.service.send(callback.path, callback.init);
    await context.service.send(callback.path, callback.init);
    const [duplicate, first] = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 2 });
    expect([duplicate?.outcome, duplicate?.body.length, duplicate?.duplicateOf]).toEqual(['duplicate', 0, first?.callbackId]);

    const replayed = await replayCallback(context.service.contract.requestDto, context.store, duplicate?.callbackId ?? 0);
    expect(replayed).toEqual({
      ok: true,
      result: { outcome: 'duplicate', callbackId: expect.any(Number), number: 'junk-2', status: 'Paid', previousStatus: 'Paid' },
    });
    const [replay] = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 });
    expect(replay).toMatchObject({ outcome: 'duplicate', replayOf: duplicate?.callbackId, duplicateOf: first?.callbackId, number: 'junk-2' });
  });
});

describeStore('rejected callbacks are capped by bytes as well as rows', () => {
  const CAP_BYTES = 1024 * 1024;
  const PRUNE_EVERY = 100;
  let database: TestDatabase;
  let store: PaymentStore;
  let service: TestService;
  beforeAll(async () => {
    database = await createTestDatabase();
    store = await database.open({ retention: { bytes: CAP_BYTES } });
    service = await startTestService(store);
  });
  afterAll(async () => {
    await service?.stop();
    await store?.close();
    await database?.drop();
  });

  it(`keeps the rejected rows' bodies and queries within ${CAP_BYTES} bytes after each prune (every ${PRUNE_EVERY} rejections)`, async () => {
    const merchant = await aMerchant(store);
    const rejectedBytes = async () =>
      (await store.listCallbacks({ limit: 100_000 }))
        .filter((row) => !row.authentic)
        .reduce((sum, row) => sum + row.body.length + Buffer.byteLength(row.query), 0);
    for (let round = 1; round <= 3; round++) {
      for (let index = 0; index < PRUNE_EVERY; index++) {
        const forged = aCallback({ merchant: { ...merchant, secret: 'guessed' }, data: { number: `big-${round}-${index}`, status: 'Paid', padding: junk(BODY_BYTES) } });
        expect((await service.send(forged.path, forged.init)).status).toBe(401);
      }
      // Without the byte cap, 100 rejections of 60 KB would keep about 6 MB (the row cap is 10,000).
      const bytes = await rejectedBytes();
      expect(bytes).toBeLessThanOrEqual(CAP_BYTES);
      expect(bytes).toBeGreaterThan(CAP_BYTES - 2 * BODY_BYTES);
    }
    const [newest] = await store.listCallbacks({ limit: 1 });
    expect(newest?.number).toBe(`big-3-${PRUNE_EVERY - 1}`);
  });
});
