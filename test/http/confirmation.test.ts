import { createQvicklyPaymentApi } from '../../src/qvickly/payment-api';
import type { PaymentStore } from '../../src/store/types';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { aConfirmingMerchant, gatedQvickly, settledConfirmation, waitFor } from '../support/confirmations';
import { createFakeQvickly, PAYMENT_NOT_FOUND, type FakePayment } from '../support/fake-qvickly';
import { qvicklySchemaValidator } from '../support/qvickly-contract';
import { outboxOf } from '../support/raw-rows';
import { startTestService, type TestService } from '../support/service';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

// Confirmation with Qvickly through the running service: a callback of a company with a merchant
// id is checked with (a fake) Qvickly's getPaymentinfo by the service's worker; the result, the
// fate of the held events and the confirmation_changed event are read back from the store.

const QVICKLY_TIMEOUT_MS = 400;
const ENVIRONMENT = {
  QVICKLY_API_TIMEOUT_MS: String(QVICKLY_TIMEOUT_MS),
  CONFIRMATION_POLL_INTERVAL_MS: '20',
  CONFIRMATION_LEASE_MS: '5000',
  CONFIRMATION_RETRY_FIRST_MS: '40',
  CONFIRMATION_RETRY_MAX_MS: '400',
};
const PAID: FakePayment = { status: 'Paid', orderid: 'P123', currency: 'SEK', withtax: '69500' };

describeStore(`confirmation with Qvickly on ${engine}`, () => {
  const fake = createFakeQvickly();
  const gate = gatedQvickly({ getPaymentInfo: (...args) => qvickly().getPaymentInfo(...args) });
  let database: TestDatabase;
  let store: PaymentStore;
  let service: TestService;
  let merchant: Merchant & { merchantId: string };
  let numbers = 700000;
  const qvickly = () => createQvicklyPaymentApi({ baseUrl: fake.url, timeoutMs: QVICKLY_TIMEOUT_MS });

  beforeAll(async () => {
    await fake.start();
    database = await createTestDatabase();
    store = await database.open();
    service = await startTestService(store, ENVIRONMENT, { qvickly: gate.source, random: () => 0 });
    merchant = await aConfirmingMerchant(store, fake);
  });
  afterAll(async () => {
    await service?.stop();
    await store?.close();
    await database?.drop();
    await fake.stop();
  });

  const nextNumber = (): string => String(++numbers);
  async function callback(number: string, status: string, orderId = 'P123'): Promise<void> {
    const { path, init } = aCallback({ merchant, number, status, data: { number, status, orderid: orderId, url: '' } });
    const answer = await service.send(path, init);
    expect(answer.status).toBe(200);
  }
  const requestsFor = (number: string) => fake.requests.filter((request) => request.number === number);
  const checkLines = (number: string) =>
    service.logs.filter((line) => line.number === number && String(line.msg).startsWith('confirmation')).map(({ state, attempts, reason, dropped }) => ({ state, attempts, reason, dropped }));

  it('confirms a Paid callback with exactly what Qvickly reports: status, orderid, currency, amount, relatedNumber; one request', async () => {
    const number = nextNumber();
    fake.setPayment(number, { ...PAID, paymentidRelated: '699999' });
    await callback(number, 'Paid');
    expect(await settledConfirmation(store, merchant.companyId, number)).toEqual({
      state: 'confirmed',
      qvicklyStatus: 'Paid',
      orderid: 'P123',
      currency: 'SEK',
      amount: '69500',
      relatedNumber: '699999',
      checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      attempts: 1,
      error: null,
    });
    expect(requestsFor(number)).toHaveLength(1);
  });

  it('asks with a request valid against openapi/qvickly-payment-api.yaml, for the merchant id, as a test account, signed with the company\'s secret', async () => {
    const number = nextNumber();
    fake.setPayment(number, PAID);
    await callback(number, 'Paid');
    await settledConfirmation(store, merchant.companyId, number);
    const [request] = requestsFor(number);
    const validate = qvicklySchemaValidator('GetPaymentinfoRequest');
    expect([validate(request?.body), validate.errors ?? null]).toEqual([true, null]);
    expect(request).toMatchObject({ method: 'POST', path: '/', merchantId: merchant.merchantId, signatureValid: true });
    expect(request?.body).toMatchObject({ credentials: { id: merchant.merchantId, test: 'true' }, data: { number }, function: 'getPaymentinfo' });
  });

  it('releases the held status_changed with the confirmed confirmation, before the confirmation_changed event in the payment\'s sequence', async () => {
    const number = nextNumber();
    fake.setPayment(number, PAID);
    await callback(number, 'Created');
    await settledConfirmation(store, merchant.companyId, number);
    await callback(number, 'Paid');
    const confirmed = await waitFor(
      () => store.confirmations.find(merchant.companyId, number),
      (confirmation) => confirmation?.state === 'confirmed' && confirmation.qvicklyStatus === 'Paid' && requestsFor(number).length === 2,
    );
    const outbox = await outboxOf(database, merchant.companyId, number);
    expect(outbox.map(({ type, state, status, confirmation }) => [type, state, status, confirmation?.state])).toEqual([
      ['payment.status_changed', 'pending', 'Created', 'pending'],
      ['payment.confirmation_changed', 'pending', 'Created', 'confirmed'],
      ['payment.status_changed', 'pending', 'Paid', 'confirmed'],
      ['payment.confirmation_changed', 'pending', 'Paid', 'confirmed'],
    ]);
    expect(outbox[2]?.confirmation).toEqual(confirmed);
    expect(outbox[3]?.confirmation).toEqual(confirmed);
    expect(outbox[3]?.callbackId).toBe(outbox[2]?.callbackId);
  });

  it.each([
    ['behind: callback Paid, Qvickly Created', { ...PAID, status: 'Created' }, 'P123', 'Created'],
    ['contradicting: callback Paid, Qvickly Denied', { ...PAID, status: 'Denied' }, 'P123', 'Denied'],
    ['another orderid: callback P123, Qvickly P999', { ...PAID, orderid: 'P999' }, 'P123', 'Paid'],
  ])('mismatch when %s: the held status_changed is withheld, one confirmation_changed with state mismatch', async (_case, payment, orderId, qvicklyStatus) => {
    const number = nextNumber();
    fake.setPayment(number, payment);
    await callback(number, 'Paid', orderId);
    expect(await settledConfirmation(store, merchant.companyId, number)).toMatchObject({ state: 'mismatch', qvicklyStatus, orderid: payment.orderid, error: null });
    expect((await outboxOf(database, merchant.companyId, number)).map(({ type, state, confirmation }) => [type, state, confirmation?.state])).toEqual([
      ['payment.status_changed', 'withheld', 'pending'],
      ['payment.confirmation_changed', 'pending', 'mismatch'],
    ]);
  });

  it('rejected when Qvickly answers an error code (an unknown number): the code and message kept, the held event withheld', async () => {
    const number = nextNumber();
    await callback(number, 'Paid');
    expect(await settledConfirmation(store, merchant.companyId, number)).toEqual({
      state: 'rejected',
      qvicklyStatus: null,
      orderid: null,
      currency: null,
      amount: null,
      relatedNumber: null,
      checkedAt: expect.any(String),
      attempts: 1,
      error: { code: PAYMENT_NOT_FOUND.code, message: PAYMENT_NOT_FOUND.message },
    });
    expect((await outboxOf(database, merchant.companyId, number)).map(({ type, state }) => [type, state])).toEqual([
      ['payment.status_changed', 'withheld'],
      ['payment.confirmation_changed', 'pending'],
    ]);
  });

  it('retries after HTTP 500, a closed connection and a garbage answer, spaced by the backoff, then confirms on the 4th attempt with one event', async () => {
    const number = nextNumber();
    fake.setPayment(number, PAID);
    fake.setMode(number, ['http-500', 'close', 'garbage', 'answer']);
    await callback(number, 'Paid');
    expect(await settledConfirmation(store, merchant.companyId, number)).toMatchObject({ state: 'confirmed', attempts: 4, error: null });
    const times = requestsFor(number).map((request) => request.receivedAt);
    expect(times).toHaveLength(4);
    // With the shortest jitter: half of min(40 ms × 2ⁿ⁻¹, 400 ms) after the n-th failure.
    const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
    [20, 40, 80].forEach((delay, index) => expect(gaps[index]).toBeGreaterThanOrEqual(delay));
    expect(checkLines(number)).toEqual([
      { state: 'pending', attempts: 1, reason: 'http-status: HTTP 500', dropped: undefined },
      { state: 'pending', attempts: 2, reason: expect.stringMatching(/^transport: fetch failed/), dropped: undefined },
      { state: 'pending', attempts: 3, reason: expect.stringMatching(/^unparsable: the answer is not JSON/), dropped: undefined },
      { state: 'confirmed', attempts: 4, reason: 'Qvickly reports Paid (settled); the payment is Paid (settled)', dropped: undefined },
    ]);
    expect((await outboxOf(database, merchant.companyId, number)).map(({ type, state }) => [type, state])).toEqual([
      ['payment.status_changed', 'pending'],
      ['payment.confirmation_changed', 'pending'],
    ]);
  });

  it('does not believe a badly signed answer (even one saying Paid): retried, confirmed only by the next, well-signed one', async () => {
    const number = nextNumber();
    fake.setPayment(number, PAID);
    fake.setMode(number, ['bad-signature', 'unsigned', 'answer']);
    await callback(number, 'Paid');
    expect(await settledConfirmation(store, merchant.companyId, number)).toMatchObject({ state: 'confirmed', attempts: 3 });
    expect(checkLines(number).map(({ state, reason }) => [state, reason])).toEqual([
      ['pending', "bad-signature: credentials.hash does not match the answer's data"],
      ['pending', 'unsigned: the answer has no credentials.hash'],
      ['confirmed', 'Qvickly reports Paid (settled); the payment is Paid (settled)'],
    ]);
  });

  it(`treats no answer within QVICKLY_API_TIMEOUT_MS (${QVICKLY_TIMEOUT_MS} ms) as a timeout, retried`, async () => {
    const number = nextNumber();
    fake.setPayment(number, PAID);
    fake.setMode(number, ['hang', 'answer']);
    await callback(number, 'Paid');
    expect(await settledConfirmation(store, merchant.companyId, number)).toMatchObject({ state: 'confirmed', attempts: 2 });
    expect(checkLines(number)[0]).toEqual({ state: 'pending', attempts: 1, reason: `timeout: no complete answer within ${QVICKLY_TIMEOUT_MS} ms`, dropped: undefined });
  });

  it('drops the result of a check in flight when a newer callback arrives, and runs a new check for the newer status', async () => {
    const number = nextNumber();
    // Had the first check's answer counted, Created against Paid would be a mismatch.
    fake.setPayment(number, { ...PAID, status: 'Created' });
    const first = gate.hold(number);
    await callback(number, 'Paid');
    await first.arrived;
    await callback(number, 'Credited');
    const second = gate.hold(number);
    first.release();
    await second.arrived;
    fake.setPayment(number, { ...PAID, status: 'Credited' });
    second.release();

    expect(await settledConfirmation(store, merchant.companyId, number)).toMatchObject({ state: 'confirmed', qvicklyStatus: 'Credited', attempts: 1 });
    expect(requestsFor(number)).toHaveLength(2);
    expect(checkLines(number).map(({ state, dropped }) => [state, dropped])).toEqual([
      ['mismatch', true],
      ['confirmed', undefined],
    ]);
    expect((await outboxOf(database, merchant.companyId, number)).map(({ type, state, status, confirmation }) => [type, state, status, confirmation?.state])).toEqual([
      ['payment.status_changed', 'pending', 'Paid', 'confirmed'],
      ['payment.status_changed', 'pending', 'Credited', 'confirmed'],
      ['payment.confirmation_changed', 'pending', 'Credited', 'confirmed'],
    ]);
  });

  it('queues nothing for a company without a merchant id, and records its events without holding them', async () => {
    const plain = await aMerchant(store);
    const number = nextNumber();
    const { path, init } = aCallback({ merchant: plain, number, status: 'Paid' });
    expect((await service.send(path, init)).status).toBe(200);
    // No confirmation is queued, so the worker has nothing to lease for it.
    expect(await store.confirmations.find(plain.companyId, number)).toBeUndefined();
    expect(requestsFor(number)).toEqual([]);
    expect((await outboxOf(database, plain.companyId, number)).map(({ state, confirmation }) => [state, confirmation])).toEqual([['pending', null]]);
  });

  it('logs one line per check with company, number, state, attempts and reason, and never the company\'s secret', async () => {
    const number = nextNumber();
    fake.setPayment(number, PAID);
    await callback(number, 'Paid');
    await settledConfirmation(store, merchant.companyId, number);
    const lines = service.logs.filter((line) => line.number === number && line.msg === 'confirmation checked');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        companyId: merchant.companyId,
        number,
        state: 'confirmed',
        attempts: 1,
        qvicklyStatus: 'Paid',
        reason: 'Qvickly reports Paid (settled); the payment is Paid (settled)',
      }),
    ]);
    expect(JSON.stringify(service.logs)).not.toContain(merchant.secret);
  });
});
