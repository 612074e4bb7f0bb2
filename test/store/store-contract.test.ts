import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { StoreUnavailableError, VIEW_CHANGED, type InboxEntry, type Payment, type Settlement } from '../../src/ipn/ports';
import { sealerFor } from '../../src/secrets/sealer';
import { openStore } from '../../src/store/open';
import type { PaymentStore } from '../../src/store/types';
import { rawWrite } from '../support/raw-rows';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';
import { refuseWrites } from '../support/unwritable';

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const NOW = '2026-11-29T10:00:00.000Z';
const LATER = '2026-11-29T11:00:00.000Z';

function anEntry(overrides: Partial<InboxEntry> = {}): InboxEntry {
  return {
    receivedAt: NOW,
    contentType: 'application/json',
    contentEncoding: null,
    query: 'CompanyId=x',
    body: Buffer.from('{"data":{}}\u0000\u00ff'),
    remoteAddress: '127.0.0.1',
    companyId: COMPANY,
    bookingId: 'B-1',
    articleTypeId: 1,
    number: '1001',
    status: 'Paid',
    authentic: true,
    outcome: 'applied',
    reason: null,
    replayOf: null,
    duplicateOf: null,
    secretUsed: 'current',
    routing: 'signed',
    ...overrides,
  };
}

function aPayment(overrides: Partial<Payment> = {}): Payment {
  return {
    companyId: COMPANY,
    number: '1001',
    bookingId: 'B-1',
    articleTypeId: 1,
    orderid: 'O-1',
    status: 'Paid',
    category: 'settled',
    url: null,
    routing: 'signed',
    updatedAt: NOW,
    ...overrides,
  };
}

/** The settlement of an applied callback that creates (version 0) or moves (version n) payment 1001. */
function anApplied(version: number, fingerprint: string, payment: Partial<Payment> = {}): Settlement {
  const state = aPayment(payment);
  return {
    entry: anEntry({ number: state.number, status: state.status }),
    expectedVersion: version,
    fingerprint,
    payment: { change: version === 0 ? 'create' : 'update', state },
    history: { status: state.status, category: state.category, outcome: 'applied', receivedAt: NOW },
  };
}

describeStore(`the ${engine} store keeps the store contract`, () => {
  let database: TestDatabase;
  let store: PaymentStore;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await database.open({ retention: { rows: 100, bytes: 1_000_000 } });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('runs its migrations once, however often it is opened', async () => {
    const applied: string[] = [];
    const again = await openStore({
      databaseUrl: database.url,
      retention: { rows: 100, bytes: 1_000_000 },
      secretsKey: database.secretsKey,
      onMigration: (migration) => applied.push(migration.name),
    });
    await again.close();
    expect(applied).toEqual([]);
    expect(await store.listCompanies()).toEqual([]);
  });

  it('creates a company only with a secret; each later change touches only what it names', async () => {
    await expect(store.changeCompany({ companyId: COMPANY, now: NOW, merchantId: 'M-1' })).rejects.toThrow(
      `company ${COMPANY} is new: give its Qvickly secret`,
    );
    expect(await store.changeCompany({ companyId: COMPANY, now: NOW, secret: 'first', merchantId: 'M-1' })).toBe('created');
    expect(await store.changeCompany({ companyId: COMPANY, now: LATER, test: true })).toBe('updated');
    expect(await store.listCompanies()).toEqual([
      { companyId: COMPANY, merchantId: 'M-1', test: true, callbackUrls: 'signed', previousSecretExpiresAt: null, updatedAt: LATER },
    ]);
    expect((await store.viewCallback(COMPANY, '1001')).company).toEqual({
      companyId: COMPANY,
      secret: 'first',
      previous: undefined,
      callbackUrls: 'signed',
      merchantId: 'M-1',
      test: true,
    });
    await store.changeCompany({ companyId: COMPANY, now: LATER, callbackUrls: 'any', merchantId: null });
    expect((await store.viewCallback(COMPANY, '1001')).company).toMatchObject({ secret: 'first', callbackUrls: 'any', merchantId: null, test: true });
    expect((await store.viewCallback('00000000-0000-0000-0000-000000000000', '1001')).company).toBeUndefined();
  });

  it('rotates a secret keeping the previous one until it expires, or dropping it', async () => {
    await store.changeCompany({ companyId: COMPANY, now: NOW, secret: 'first' });
    await store.changeCompany({ companyId: COMPANY, now: LATER, secret: 'second', keepPreviousUntil: '2026-12-29T11:00:00.000Z' });
    expect((await store.viewCallback(COMPANY, '1001')).company).toMatchObject({
      secret: 'second',
      previous: { secret: 'first', expiresAt: '2026-12-29T11:00:00.000Z' },
    });
    expect((await store.listCompanies())[0]?.previousSecretExpiresAt).toBe('2026-12-29T11:00:00.000Z');
    await store.changeCompany({ companyId: COMPANY, now: LATER, secret: 'third' });
    expect((await store.viewCallback(COMPANY, '1001')).company).toMatchObject({ secret: 'third', previous: undefined });
  });

  it('keeps secrets sealed at rest: the database holds no secret, and another key cannot open them', async () => {
    await store.changeCompany({ companyId: COMPANY, now: NOW, secret: 'sealed-secret-1', keepPreviousUntil: undefined });
    await store.changeCompany({ companyId: COMPANY, now: NOW, secret: 'sealed-secret-2', keepPreviousUntil: LATER });
    expect(await rawCompanyColumns(database)).toEqual([
      { secret: expect.stringMatching(/^v1\./), previous: expect.stringMatching(/^v1\./) },
    ]);
    expect(JSON.stringify(await rawCompanyColumns(database))).not.toContain('sealed-secret');
    await expect(openWithKey(database, randomBytes(32))).rejects.toThrow(/cannot be opened with the key given/);
  });

  it('re-seals every secret with a new key in one go; the old key then no longer opens the store', async () => {
    await store.changeCompany({ companyId: COMPANY, now: NOW, secret: 'first' });
    await store.changeCompany({ companyId: COMPANY, now: NOW, secret: 'second', keepPreviousUntil: LATER });
    const newKey = randomBytes(32);
    expect(await store.resealSecrets(sealerFor(newKey))).toBe(1);
    await store.close();
    await expect(openWithKey(database, database.secretsKey)).rejects.toThrow(/cannot be opened with the key given/);
    store = await openWithKey(database, newKey);
    expect((await store.viewCallback(COMPANY, '1')).company).toMatchObject({ secret: 'second', previous: { secret: 'first' } });
  });

  it('seals the plaintext secrets of rows written before secrets were sealed, when it opens', async () => {
    await store.changeCompany({ companyId: COMPANY, now: NOW, secret: 'to-be-replaced' });
    await setRawSecret(database, COMPANY, 'legacy-plaintext');
    await store.close();
    store = await database.open();
    expect((await store.viewCallback(COMPANY, '1')).company?.secret).toBe('legacy-plaintext');
    expect(JSON.stringify(await rawCompanyColumns(database))).not.toContain('legacy-plaintext');
  });

  it('writes the inbox, the payment, its history and the fingerprint together, and reads them back exactly', async () => {
    expect((await store.viewCallback(COMPANY, '1001')).payment).toEqual({ payment: undefined, version: 0, held: new Set(), fingerprints: new Map() });
    const callbackId = await store.settle(anApplied(0, 'f-1'));
    if (callbackId === VIEW_CHANGED) throw new Error('the first settlement of a new payment cannot find it changed');
    expect(await store.findCallback(callbackId)).toEqual({ ...anEntry(), callbackId });
    expect(await store.findPayment(COMPANY, '1001')).toEqual({
      ...aPayment(),
      history: [{ status: 'Paid', category: 'settled', outcome: 'applied', callbackId, receivedAt: NOW }],
    });
    expect((await store.viewCallback(COMPANY, '1001')).payment).toEqual({
      payment: aPayment(),
      version: 1,
      held: new Set(['paid']),
      fingerprints: new Map([['f-1', callbackId]]),
    });

    const credited = await store.settle(anApplied(1, 'f-2', { status: 'Credited', category: 'refunded', url: 'u' }));
    expect(credited).toEqual(expect.any(Number));
    expect(await store.listPayments(COMPANY)).toEqual([aPayment({ status: 'Credited', category: 'refunded', url: 'u' })]);
    expect(await store.listPayments(COMPANY, 'B-1')).toHaveLength(1);
    expect(await store.listPayments(COMPANY, 'B-2')).toEqual([]);
    expect((await store.viewCallback(COMPANY, '1001')).payment.version).toBe(2);
  });

  it('moves the version on a history entry that does not change the payment (stale, conflict)', async () => {
    await store.settle(anApplied(0, 'f-1'));
    const stale: Settlement = {
      entry: anEntry({ status: 'Created', outcome: 'stale' }),
      expectedVersion: 1,
      fingerprint: 'f-2',
      history: { status: 'Created', category: 'accepted', outcome: 'stale', receivedAt: NOW },
    };
    expect(await store.settle(stale)).toEqual(expect.any(Number));
    const view = await store.viewCallback(COMPANY, '1001');
    expect([view.payment.version, view.payment.payment?.status]).toEqual([2, 'Paid']);
    expect((await store.findPayment(COMPANY, '1001'))?.history.map((entry) => entry.outcome)).toEqual(['applied', 'stale']);
  });

  it('commits nothing of a settlement decided on a version the payment has moved on from', async () => {
    await store.settle(anApplied(0, 'f-1'));
    // Decided on the view before the first one: the payment did not exist then.
    expect(await store.settle(anApplied(0, 'f-2', { status: 'Created', category: 'accepted' }))).toBe(VIEW_CHANGED);
    expect(await store.settle(anApplied(5, 'f-3', { status: 'Credited', category: 'refunded' }))).toBe(VIEW_CHANGED);
    expect((await store.listCallbacks({})).map((row) => row.status)).toEqual(['Paid']);
    expect((await store.findPayment(COMPANY, '1001'))?.history).toHaveLength(1);
    expect([...(await store.viewCallback(COMPANY, '1001')).payment.fingerprints.keys()]).toEqual(['f-1']);
  });

  it('lets exactly one of many racing settlements on one view commit; the others write nothing', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) => store.settle(anApplied(0, `race-${index}`, { bookingId: `B-${index}` }))),
    );
    expect(results.filter((result) => result !== VIEW_CHANGED)).toHaveLength(1);
    expect(await store.listCallbacks({})).toHaveLength(1);
    expect(await store.listPayments(COMPANY)).toHaveLength(1);
  });

  it('claims signed data once per payment, even when claims race; other payments and companies are apart', async () => {
    const claim = (companyId: string, number: string) => store.settle({ entry: anEntry({ companyId, number }), fingerprint: 'same' });
    const claims = await Promise.all(Array.from({ length: 20 }, () => claim(COMPANY, '1001')));
    expect(claims.filter((result) => result !== VIEW_CHANGED)).toHaveLength(1);
    expect(await claim('another-company', '1001')).toEqual(expect.any(Number));
    expect(await claim(COMPANY, '1002')).toEqual(expect.any(Number));
    expect(await store.listCallbacks({})).toHaveLength(3);
  });

  it('writes nothing of a settlement that cannot be written completely', async () => {
    // A history entry for a payment that does not exist breaks its foreign key after the inbox row was written.
    const broken: Settlement = {
      entry: anEntry({ outcome: 'stale' }),
      expectedVersion: 0,
      fingerprint: 'f-broken',
      history: { status: 'Paid', category: 'settled', outcome: 'stale', receivedAt: NOW },
    };
    const outcome = await store.settle(broken).then((value) => `resolved ${String(value)}`, (error: unknown) => `rejected ${String(error)}`);
    expect(outcome).toMatch(/^rejected/);
    expect(await store.listCallbacks({})).toEqual([]);
    expect((await store.viewCallback(COMPANY, '1001')).payment.fingerprints).toEqual(new Map());
  });

  it('lets one failing settlement among concurrent ones fail alone', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        store.settle(
          index === 4
            ? { entry: anEntry({ number: 'c-4' }), expectedVersion: 0, history: { status: 'Paid', category: 'settled', outcome: 'stale', receivedAt: NOW } }
            : { entry: anEntry({ number: `c-${index}` }) },
        ),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(outcomes.map((_, index) => (index === 4 ? 'rejected' : 'fulfilled')));
    const numbers = (await store.listCallbacks({})).map((row) => row.number).sort();
    expect(numbers).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-5', 'c-6', 'c-7', 'c-8', 'c-9']);
  });

  it('keeps a duplicate as metadata pointing at its first copy', async () => {
    const first = await store.settle(anApplied(0, 'f-1'));
    const repeat = await store.settle({ entry: anEntry({ outcome: 'duplicate', query: '', body: Buffer.alloc(0), duplicateOf: Number(first) }) });
    expect(await store.findCallback(Number(repeat))).toMatchObject({ outcome: 'duplicate', duplicateOf: first, query: '', body: Buffer.alloc(0) });
  });

  it('lists callbacks newest first, filtered by company and outcome, up to a limit', async () => {
    const ids: number[] = [];
    for (const [companyId, outcome] of [
      [COMPANY, 'applied'],
      ['other', 'applied'],
      [COMPANY, 'duplicate'],
      [COMPANY, 'applied'],
    ] as const) {
      ids.push(Number(await store.settle({ entry: anEntry({ companyId, outcome }) })));
    }
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const id = (index: number) => ids[index];
    expect((await store.listCallbacks({})).map((row) => row.callbackId)).toEqual([id(3), id(2), id(1), id(0)]);
    expect((await store.listCallbacks({ companyId: COMPANY, outcome: 'applied' })).map((row) => row.callbackId)).toEqual([id(3), id(0)]);
    expect((await store.listCallbacks({ limit: 2 })).map((row) => row.callbackId)).toEqual([id(3), id(2)]);
    expect(await store.findCallback(999_999)).toBeUndefined();
  });

  it('keeps about the cap of rejected callbacks, and every authentic one', async () => {
    for (let index = 0; index < 350; index++) {
      await store.settle({ entry: anEntry({ authentic: false, outcome: 'unauthenticated', number: `r-${index}` }) });
      if (index % 10 === 0) await store.settle({ entry: anEntry({ number: `a-${index}` }) });
    }
    const rows = await store.listCallbacks({ limit: 10_000 });
    const rejected = rows.filter((row) => !row.authentic);
    expect(rows.filter((row) => row.authentic)).toHaveLength(35);
    // Pruned every 100 rejections down to the cap of 100: between 100 and 199 remain, the newest ones.
    expect(rejected.length).toBeGreaterThanOrEqual(100);
    expect(rejected.length).toBeLessThan(200);
    expect(rejected[0]?.number).toBe('r-349');
  });

  it('keeps rejected callbacks within the byte cap too, however few rows they are', async () => {
    // 1 MB allowed: 20 KB bodies, so about 50 fit; pruned every 100 rejections.
    for (let index = 0; index < 300; index++) {
      await store.settle({ entry: anEntry({ authentic: false, outcome: 'invalid', number: `big-${index}`, body: Buffer.alloc(20_000, 120) }) });
    }
    const rejected = (await store.listCallbacks({ limit: 10_000 })).filter((row) => !row.authentic);
    const bytes = rejected.reduce((sum, row) => sum + row.body.length + Buffer.byteLength(row.query), 0);
    // After the prune at 300: at most 1 MB is kept, the newest rows.
    expect(bytes).toBeLessThanOrEqual(1_000_000);
    expect(rejected.length).toBeGreaterThanOrEqual(45);
    expect(rejected[0]?.number).toBe('big-299');
  });

  it('refuses to acknowledge what it cannot write, reports it as unwritable until a write commits again', async () => {
    expect(await store.health()).toEqual({ reachable: true, writable: true });
    const release = await refuseWrites(database);
    try {
      await expect(store.settle({ entry: anEntry() })).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await store.health()).toEqual({ reachable: true, writable: false });
    } finally {
      await release();
    }
    expect(await store.listCallbacks({})).toEqual([]);
    await store.settle({ entry: anEntry() });
    expect(await store.listCallbacks({})).toHaveLength(1);
    expect(await store.health()).toEqual({ reachable: true, writable: true });
  });

  it('refuses at once, without queueing, a write beyond the commit queue limit', async () => {
    const limited = await database.open({ commitQueueLimit: 2 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, index) => limited.settle({ entry: anEntry({ number: `q-${index}` }) })));
      const refused = results.filter((result) => result.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      for (const result of refused) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      expect(await store.listCallbacks({})).toHaveLength(results.length - refused.length);
    } finally {
      await limited.close();
    }
  });
});

/** The companies' secret columns as stored, read beside the store. */
async function rawCompanyColumns(database: TestDatabase): Promise<Array<{ secret: string; previous: string | null }>> {
  const sql = 'SELECT secret, previous_secret AS previous FROM companies ORDER BY company_id';
  if (database.url.startsWith('sqlite:')) {
    const db = new Database(database.url.slice('sqlite:'.length), { readonly: true });
    try {
      return db.prepare(sql).all() as Array<{ secret: string; previous: string | null }>;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Writes a plaintext secret as a row from before sealing would hold it. */
async function setRawSecret(database: TestDatabase, companyId: string, secret: string): Promise<void> {
  await rawWrite(
    database,
    {
      sqlite: 'UPDATE companies SET secret = ?, secret_key_id = NULL WHERE company_id = ?',
      postgres: 'UPDATE companies SET secret = $1, secret_key_id = NULL WHERE company_id = $2',
    },
    [secret, companyId],
  );
}

function openWithKey(database: TestDatabase, secretsKey: Buffer): Promise<PaymentStore> {
  return openStore({ databaseUrl: database.url, retention: { rows: 100, bytes: 1_000_000 }, secretsKey });
}
