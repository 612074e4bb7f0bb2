import type { InboxEntry, Payment, PaymentStore } from '../../src/store/types';
import { StoreUnavailableError } from '../../src/store/types';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';
import { refuseWrites } from '../support/unwritable';

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const NOW = '2026-11-29T10:00:00.000Z';

function anEntry(overrides: Partial<InboxEntry> = {}): InboxEntry {
  return {
    receivedAt: NOW,
    contentType: 'application/json',
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
    updatedAt: NOW,
    ...overrides,
  };
}

describeStore(`the ${engine} store keeps the store contract`, () => {
  let database: TestDatabase;
  let store: PaymentStore;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await database.open({ rejectedCallbackCap: 100 });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('runs its migrations once, however often it is opened or migrated', async () => {
    await store.migrate();
    await store.migrate();
    const again = await database.open();
    await again.close();
    expect(await store.listCompanies()).toEqual([]);
  });

  it('stores company secrets, lists companies without them, and keeps a merchant id unless replaced', async () => {
    await store.setCompany(COMPANY, 'first', 'M-1', NOW);
    await store.setCompany(COMPANY, 'second', null, '2026-11-29T11:00:00.000Z');
    expect(await store.listCompanies()).toEqual([{ companyId: COMPANY, merchantId: 'M-1', updatedAt: '2026-11-29T11:00:00.000Z' }]);
    expect(await store.inTransaction((tx) => tx.findSecret(COMPANY))).toBe('second');
    expect(await store.inTransaction((tx) => tx.findSecret('00000000-0000-0000-0000-000000000000'))).toBeUndefined();
  });

  it('writes the inbox, the payment and its history together, and reads them back exactly', async () => {
    const callbackId = await store.inTransaction(async (tx) => {
      const id = await tx.recordCallback(anEntry());
      await tx.savePayment(aPayment(), true);
      await tx.appendHistory(COMPANY, '1001', { status: 'Paid', category: 'settled', outcome: 'applied', callbackId: id, receivedAt: NOW });
      return id;
    });
    expect(await store.findCallback(callbackId)).toEqual({ ...anEntry(), callbackId });
    expect(await store.findPayment(COMPANY, '1001')).toEqual({
      ...aPayment(),
      history: [{ status: 'Paid', category: 'settled', outcome: 'applied', callbackId, receivedAt: NOW }],
    });
    await store.inTransaction((tx) => tx.savePayment(aPayment({ status: 'Credited', category: 'refunded', url: 'u' }), false));
    expect(await store.listPayments(COMPANY)).toEqual([aPayment({ status: 'Credited', category: 'refunded', url: 'u' })]);
    expect(await store.listPayments(COMPANY, 'B-1')).toHaveLength(1);
    expect(await store.listPayments(COMPANY, 'B-2')).toEqual([]);
  });

  it('writes nothing of a transaction whose work fails', async () => {
    await expect(
      store.inTransaction(async (tx) => {
        await tx.recordCallback(anEntry());
        await tx.claimFingerprint(COMPANY, '1001', 'f-1');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.listCallbacks({})).toEqual([]);
    expect(await store.inTransaction((tx) => tx.claimFingerprint(COMPANY, '1001', 'f-1'))).toBe(true);
  });

  it('lets one failing transaction among concurrent ones fail alone', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        store.inTransaction(async (tx) => {
          const id = await tx.recordCallback(anEntry({ number: `c-${index}` }));
          if (index === 4) throw new Error('this one breaks');
          return id;
        }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(outcomes.map((_, index) => (index === 4 ? 'rejected' : 'fulfilled')));
    expect((outcomes[4] as PromiseRejectedResult).reason).toEqual(new Error('this one breaks'));
    const numbers = (await store.listCallbacks({})).map((row) => row.number).sort();
    expect(numbers).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-5', 'c-6', 'c-7', 'c-8', 'c-9']);
  });

  it('claims a fingerprint once per company, even when claims race', async () => {
    const claims = await Promise.all(Array.from({ length: 20 }, () => store.inTransaction((tx) => tx.claimFingerprint(COMPANY, '1001', 'same'))));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.inTransaction((tx) => tx.claimFingerprint('another-company', '1001', 'same'))).toBe(true);
    expect(await store.inTransaction((tx) => tx.claimFingerprint(COMPANY, '1002', 'same'))).toBe(true);
  });

  it('serialises two transactions creating the same payment: the second sees the first', async () => {
    const create = (bookingId: string) =>
      store.inTransaction(async (tx) => {
        const existing = await tx.lockPayment(COMPANY, '2002');
        if (existing) return `found ${existing.bookingId}`;
        await tx.savePayment(aPayment({ number: '2002', bookingId }), true);
        return `created ${bookingId}`;
      });
    const results = await Promise.all([create('B-1'), create('B-2'), create('B-3')]);
    const created = results.filter((result) => result.startsWith('created'));
    expect(created).toHaveLength(1);
    const winner = created[0]?.split(' ')[1];
    expect(results.filter((result) => result === `found ${winner}`)).toHaveLength(2);
  });

  it('lists callbacks newest first, filtered by company and outcome, up to a limit', async () => {
    const ids: number[] = [];
    for (const [companyId, outcome] of [
      [COMPANY, 'applied'],
      ['other', 'applied'],
      [COMPANY, 'duplicate'],
      [COMPANY, 'applied'],
    ] as const) {
      ids.push(await store.inTransaction((tx) => tx.recordCallback(anEntry({ companyId, outcome }))));
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
      await store.inTransaction(async (tx) => {
        await tx.recordCallback(anEntry({ authentic: false, outcome: 'unauthenticated', number: `r-${index}` }));
        if (index % 10 === 0) await tx.recordCallback(anEntry({ number: `a-${index}` }));
      });
    }
    const rows = await store.listCallbacks({ limit: 10_000 });
    const rejected = rows.filter((row) => !row.authentic);
    expect(rows.filter((row) => row.authentic)).toHaveLength(35);
    // Pruned every 100 rejections down to the cap of 100: between 100 and 199 remain, the newest ones.
    expect(rejected.length).toBeGreaterThanOrEqual(100);
    expect(rejected.length).toBeLessThan(200);
    expect(rejected[0]?.number).toBe('r-349');
  });

  it('refuses to acknowledge what it cannot write', async () => {
    const release = await refuseWrites(database);
    try {
      await expect(store.inTransaction((tx) => tx.recordCallback(anEntry()))).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await release();
    }
    expect(await store.listCallbacks({})).toEqual([]);
    await store.inTransaction((tx) => tx.recordCallback(anEntry()));
    expect(await store.listCallbacks({})).toHaveLength(1);
  });
});
