import { concludeCheck } from '../../src/ipn/confirm';
import { queuedConfirmation } from '../../src/ipn/confirmation';
import type { ConfirmationCheck, QvicklyReport } from '../../src/ipn/confirmation-ports';
import { statusChanged } from '../../src/ipn/events';
import type { InboxEntry, Payment, Settlement } from '../../src/ipn/ports';
import { categorize } from '../../src/ipn/status';
import type { PaymentStore } from '../../src/store/types';
import { outboxOf, rawRows } from '../support/raw-rows';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

// The confirmations half of the store contract, on this project's engine: leases, results in one
// transaction with the fate of the held events, generations, and what operators read.

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const OTHER = '0b1a7c44-3c39-4f55-9d0e-1f2a3b4c5d6e';
const T0 = new Date('2026-11-29T10:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const RETRY = { firstDelayMs: 10_000, maxDelayMs: 3_600_000, retryForMs: 72 * 3_600_000 };

function anEntry(number: string, status: string, receivedAt: string): InboxEntry {
  return {
    receivedAt,
    contentType: 'application/json',
    contentEncoding: null,
    query: '',
    body: Buffer.from('{}'),
    remoteAddress: '127.0.0.1',
    companyId: COMPANY,
    bookingId: 'B-1',
    articleTypeId: 1,
    number,
    status,
    authentic: true,
    outcome: 'applied',
    reason: null,
    replayOf: null,
    duplicateOf: null,
    secretUsed: 'current',
    routing: 'signed',
  };
}

describeStore(`the ${engine} store's confirmations`, () => {
  let database: TestDatabase;
  let store: PaymentStore;
  let fingerprints = 0;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await database.open();
    await store.changeCompany({ companyId: COMPANY, now: T0.toISOString(), secret: 'company-secret', merchantId: '4711', test: true });
    await store.changeCompany({ companyId: OTHER, now: T0.toISOString(), secret: 'other-secret' });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  /** A callback applied as the use case settles it for a confirming company: queued, its event recorded (held when settled or refunded). */
  async function applied(number: string, status: string, receivedAt = T0, companyId = COMPANY): Promise<number> {
    const view = await store.viewCallback(companyId, number);
    const before = view.payment.payment;
    const category = categorize(status) ?? 'accepted';
    const payment: Payment = {
      companyId,
      number,
      bookingId: 'B-1',
      articleTypeId: 1,
      orderid: 'P-1',
      status,
      category,
      url: null,
      routing: 'signed',
      updatedAt: receivedAt.toISOString(),
    };
    const confirms = companyId === COMPANY;
    const settlement: Settlement = {
      entry: { ...anEntry(number, status, receivedAt.toISOString()), companyId },
      expectedVersion: view.payment.version,
      fingerprint: `f-${++fingerprints}`,
      payment: { change: before ? 'update' : 'create', state: payment },
      history: { status, category, outcome: 'applied', receivedAt: receivedAt.toISOString() },
      ...(confirms ? { confirm: { queuedAt: receivedAt.toISOString() } } : {}),
      events: [statusChanged({ payment, before, confirmation: confirms ? queuedConfirmation(view.payment.confirmation) : null, occurredAt: receivedAt.toISOString() })],
    };
    const callbackId = await store.settle(settlement);
    if (typeof callbackId !== 'number') throw new Error('the settlement was refused');
    return callbackId;
  }

  const report = (status: string, relatedNumber: string | null = null): QvicklyReport => ({
    kind: 'info',
    status,
    orderid: 'P-1',
    currency: 'SEK',
    amount: '69500',
    relatedNumber,
  });
  const conclude = (check: ConfirmationCheck, answer: QvicklyReport, now: Date, retry = RETRY) =>
    concludeCheck(check, answer, { askedAt: now, now }, () => 0, retry).record;

  async function leaseOne(now: Date, leaseUntil = at(60_000)): Promise<ConfirmationCheck> {
    const leased = await store.confirmations.lease(10, now, leaseUntil);
    expect(leased).toHaveLength(1);
    return leased[0] as ConfirmationCheck;
  }

  it('leases a queued check once, with the payment, the company\'s Qvickly account and the applied callback; again only after the lease expires', async () => {
    const callbackId = await applied('1001', 'Paid');
    const check = await leaseOne(T0, at(30_000));
    expect(check).toEqual({
      lease: { companyId: COMPANY, number: '1001', generation: 1, leaseToken: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      account: { merchantId: '4711', secret: 'company-secret', test: true },
      payment: {
        companyId: COMPANY,
        number: '1001',
        bookingId: 'B-1',
        articleTypeId: 1,
        orderid: 'P-1',
        status: 'Paid',
        category: 'settled',
        url: null,
        routing: 'signed',
        updatedAt: T0.toISOString(),
      },
      known: queuedConfirmation(undefined),
      queuedAt: T0.toISOString(),
      callbackId,
    });
    expect(await store.confirmations.lease(10, at(29_999), at(90_000))).toEqual([]);
    const again = await leaseOne(at(30_000));
    expect(again.lease.leaseToken).not.toBe(check.lease.leaseToken);
  });

  it('leases nothing of a company without a merchant id, nor a check whose retry is not due yet, and at most `limit`, earliest due first', async () => {
    await applied('2001', 'Paid', T0, OTHER);
    for (let index = 0; index < 5; index++) await applied(`300${index}`, 'Paid', at(index * 1000));
    expect((await store.confirmations.lease(3, at(10_000), at(60_000))).map((check) => check.lease.number)).toEqual(['3000', '3001', '3002']);
    expect((await store.confirmations.lease(3, at(10_000), at(60_000))).map((check) => check.lease.number)).toEqual(['3003', '3004']);
    expect(await store.confirmations.lease(3, at(10_000), at(60_000))).toEqual([]);
  });

  it('records confirmed in one go: the row, the held status_changed released in place with the confirmation, then confirmation_changed after it', async () => {
    await applied('1001', 'Created');
    const callbackId = await applied('1001', 'Paid', at(1000));
    const check = await leaseOne(at(2000));
    const record = conclude(check, report('Paid', '1999'), at(2500));
    expect(await store.confirmations.record(record)).toBe(true);

    expect(await store.confirmations.find(COMPANY, '1001')).toEqual({
      state: 'confirmed',
      qvicklyStatus: 'Paid',
      orderid: 'P-1',
      currency: 'SEK',
      amount: '69500',
      relatedNumber: '1999',
      checkedAt: at(2500).toISOString(),
      attempts: 1,
      error: null,
    });
    const outbox = await outboxOf(database, COMPANY, '1001');
    expect(outbox.map(({ type, state, status, callbackId: id, nextAttemptAt }) => ({ type, state, status, id, nextAttemptAt }))).toEqual([
      { type: 'payment.status_changed', state: 'pending', status: 'Created', id: expect.any(Number), nextAttemptAt: T0.toISOString() },
      { type: 'payment.status_changed', state: 'pending', status: 'Paid', id: callbackId, nextAttemptAt: at(2500).toISOString() },
      { type: 'payment.confirmation_changed', state: 'pending', status: 'Paid', id: callbackId, nextAttemptAt: at(2500).toISOString() },
    ]);
    expect(outbox[1]?.confirmation).toEqual(record.confirmation);
    expect(outbox[2]?.confirmation).toEqual(record.confirmation);
    // The Created event was never held: it keeps the pending confirmation it was recorded with.
    expect(outbox[0]?.confirmation).toMatchObject({ state: 'pending' });
    expect(outbox.map((row) => row.sequence)).toEqual([...outbox.map((row) => row.sequence)].sort((a, b) => a - b));
  });

  it.each([
    ['mismatch', report('Created')],
    ['rejected', { kind: 'error', code: '5201', message: 'Invoice does not exist' } as QvicklyReport],
  ])('records %s: the held status_changed withheld (never sent), the confirmation_changed event pending', async (state, answer) => {
    await applied('1001', 'Paid');
    const check = await leaseOne(T0);
    expect(await store.confirmations.record(conclude(check, answer, at(100)))).toBe(true);
    expect((await store.confirmations.find(COMPANY, '1001'))?.state).toBe(state);
    expect((await outboxOf(database, COMPANY, '1001')).map((row) => [row.type, row.state])).toEqual([
      ['payment.status_changed', 'withheld'],
      ['payment.confirmation_changed', 'pending'],
    ]);
  });

  it('records a transient failure as pending with the error, due at the backoff time and not before, with no event and the held event kept', async () => {
    await applied('1001', 'Paid');
    const check = await leaseOne(T0);
    const record = conclude(check, { kind: 'unavailable', reason: 'http-status', detail: 'HTTP 500' }, at(100));
    expect(record.nextCheckAt).toBe(at(5_100).toISOString());
    expect(await store.confirmations.record(record)).toBe(true);
    expect(await store.confirmations.find(COMPANY, '1001')).toMatchObject({ state: 'pending', attempts: 1, error: { code: 'http-status', message: 'HTTP 500' } });
    expect((await outboxOf(database, COMPANY, '1001')).map((row) => [row.type, row.state])).toEqual([['payment.status_changed', 'held']]);
    expect(await store.confirmations.lease(10, at(5_099), at(60_000))).toEqual([]);
    const retry = await leaseOne(at(5_100));
    expect([retry.known.attempts, retry.queuedAt]).toEqual([1, T0.toISOString()]);
  });

  it('drops the result of a check whose payment got a newer callback meanwhile, ending its lease so the newer check is leasable at once', async () => {
    await applied('1001', 'Paid');
    const check = await leaseOne(T0);
    const creditedCallback = await applied('1001', 'Credited', at(100));
    expect(await store.confirmations.record(conclude(check, report('Paid'), at(200)))).toBe(false);

    expect(await store.confirmations.find(COMPANY, '1001')).toEqual(queuedConfirmation(undefined));
    expect((await outboxOf(database, COMPANY, '1001')).map((row) => [row.status, row.state])).toEqual([
      ['Paid', 'held'],
      ['Credited', 'held'],
    ]);
    const newer = await leaseOne(at(200));
    expect([newer.lease.generation, newer.payment.status, newer.callbackId]).toEqual([2, 'Credited', creditedCallback]);
  });

  it('drops the result of a lease that expired and was taken by another check', async () => {
    await applied('1001', 'Paid');
    const first = await leaseOne(T0, at(1000));
    const second = await leaseOne(at(1000), at(61_000));
    expect(await store.confirmations.record(conclude(first, report('Paid'), at(1500)))).toBe(false);
    expect(await store.confirmations.record(conclude(second, report('Paid'), at(1600)))).toBe(true);
    expect(await store.confirmations.find(COMPANY, '1001')).toMatchObject({ state: 'confirmed', checkedAt: at(1600).toISOString() });
  });

  it('releases an abandoned lease so the check is due again at once', async () => {
    await applied('1001', 'Paid');
    const check = await leaseOne(T0);
    await store.confirmations.release(check.lease);
    expect((await leaseOne(at(1))).lease.generation).toBe(1);
  });

  it('leaseNow queues a settled confirmation as a new run (next generation, attempts 0) and leases it whatever its due time', async () => {
    await applied('1001', 'Paid');
    const first = await leaseOne(T0);
    await store.confirmations.record(conclude(first, report('Paid'), at(100)));
    const now = await store.confirmations.leaseNow(COMPANY, '1001', at(200), at(60_000));
    if (typeof now === 'string') throw new Error(now);
    expect([now.lease.generation, now.known.state, now.known.attempts, now.known.qvicklyStatus, now.queuedAt]).toEqual([2, 'pending', 0, 'Paid', at(200).toISOString()]);
  });

  it('leaseNow takes over a pending check leased by someone else, whose result is then dropped', async () => {
    await applied('1001', 'Paid');
    const worker = await leaseOne(T0);
    const operator = await store.confirmations.leaseNow(COMPANY, '1001', at(10), at(60_000));
    if (typeof operator === 'string') throw new Error(operator);
    expect(operator.lease.generation).toBe(1);
    expect(await store.confirmations.record(conclude(worker, report('Paid'), at(20)))).toBe(false);
    expect(await store.confirmations.record(conclude(operator, report('Paid'), at(30)))).toBe(true);
  });

  it('leaseNow queues a payment of a company that got its merchant id after the payment, and refuses unknown payments and companies without one', async () => {
    await applied('2001', 'Paid', T0, OTHER);
    expect(await store.confirmations.leaseNow(OTHER, '2001', at(10), at(60_000))).toBe('not-confirming');
    expect(await store.confirmations.leaseNow(COMPANY, '404', at(10), at(60_000))).toBe('no-payment');
    await store.changeCompany({ companyId: OTHER, now: T0.toISOString(), merchantId: '4712' });
    const check = await store.confirmations.leaseNow(OTHER, '2001', at(20), at(60_000));
    expect(typeof check === 'string' ? check : [check.lease.generation, check.account.merchantId]).toEqual([1, '4712']);
  });

  it('reports the backlog: every pending check, the due ones not leased, and the oldest due time', async () => {
    expect(await store.confirmations.backlog(T0)).toEqual({ pending: 0, due: 0, oldestDueAt: null });
    await applied('1001', 'Paid', T0);
    await applied('1002', 'Paid', at(1000));
    await applied('1003', 'Paid', at(2000));
    await applied('2001', 'Paid', T0, OTHER);
    await store.confirmations.lease(1, at(5000), at(60_000));
    expect(await store.confirmations.backlog(at(1500))).toEqual({ pending: 3, due: 1, oldestDueAt: at(1000).toISOString() });
  });

  it('relates a credit and its original both ways through the relatedNumber Qvickly reports', async () => {
    await applied('1001', 'Paid');
    await applied('1002', 'Credited');
    const checks = await store.confirmations.lease(10, T0, at(60_000));
    for (const check of checks) {
      const related = check.lease.number === '1002' ? '1001' : null;
      await store.confirmations.record(conclude(check, report(check.payment.status, related), at(10)));
    }
    expect(await store.confirmations.relatedPayments(COMPANY, '1001')).toEqual(['1002']);
    expect(await store.confirmations.relatedPayments(COMPANY, '1002')).toEqual(['1001']);
    expect(await store.confirmations.relatedPayments(COMPANY, '1003')).toEqual([]);
  });

  it('writes the rows the schema describes: generation, queued_at, due_at and no lease after a result', async () => {
    await applied('1001', 'Paid');
    const check = await leaseOne(T0);
    await store.confirmations.record(conclude(check, { kind: 'unavailable', reason: 'timeout', detail: 'x' }, at(100)));
    const [row] = await rawRows(database, {
      sqlite: 'SELECT generation, queued_at, due_at, lease_token, lease_until, attempts FROM confirmations',
      postgres: 'SELECT generation, queued_at, due_at, lease_token, lease_until, attempts FROM confirmations',
    });
    expect({ ...row, queued_at: new Date(String(row?.queued_at)).toISOString(), due_at: new Date(String(row?.due_at)).toISOString() }).toEqual({
      generation: 1,
      queued_at: T0.toISOString(),
      due_at: at(5_100).toISOString(),
      lease_token: null,
      lease_until: null,
      attempts: 1,
    });
  });

  (engine === 'postgres' ? it : it.skip)('leases each check to exactly one of two stores on one database polling at the same instant (SKIP LOCKED)', async () => {
    const second = await database.open();
    try {
      for (let index = 0; index < 40; index++) await applied(`4${String(index).padStart(3, '0')}`, 'Paid');
      const polls = Array.from({ length: 12 }, (_, index) => (index % 2 ? second : store).confirmations.lease(5, at(1000), at(60_000)));
      const leased = (await Promise.all(polls)).flat().map((check) => check.lease.number);
      expect(leased).toHaveLength(40);
      expect(new Set(leased).size).toBe(40);
    } finally {
      await second.close();
    }
  });
});
