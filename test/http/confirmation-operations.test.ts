import type { PaymentStore } from '../../src/store/types';
import { aCallback, type Merchant } from '../support/callbacks';
import { aConfirmingMerchant, settledConfirmation, waitFor } from '../support/confirmations';
import { createFakeQvickly, type FakePayment } from '../support/fake-qvickly';
import { outboxOf } from '../support/raw-rows';
import { startTestService, type TestService } from '../support/service';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

// Confirmation as an operator sees it: giving up after the retry window, the backlog and the
// counts in /metrics, and a shutdown while Qvickly does not answer.

const PAID: FakePayment = { status: 'Paid', orderid: 'P123', currency: 'SEK', withtax: '69500' };
const FAST = { QVICKLY_API_TIMEOUT_MS: '1000', CONFIRMATION_POLL_INTERVAL_MS: '20', CONFIRMATION_LEASE_MS: '5000', CONFIRMATION_RETRY_FIRST_MS: '40', CONFIRMATION_RETRY_MAX_MS: '400' };

/** One metric's value in a Prometheus exposition (undefined when absent). */
function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((row) => row.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeStore(`confirmation operations on ${engine}`, () => {
  const fake = createFakeQvickly();
  let database: TestDatabase;
  let store: PaymentStore;
  let service: TestService | undefined;
  let merchant: Merchant;

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(async () => {
    fake.reset();
    database = await createTestDatabase();
    store = await database.open();
    merchant = await aConfirmingMerchant(store, fake);
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await store.close();
    await database.drop();
  });

  async function start(environment: Record<string, string>): Promise<TestService> {
    service = await startTestService(store, { QVICKLY_API_URL: fake.url, ...environment }, { random: () => 0 });
    return service;
  }
  async function paid(running: TestService, number: string): Promise<void> {
    const { path, init } = aCallback({ merchant, number, status: 'Paid', data: { number, status: 'Paid', orderid: 'P123', url: '' } });
    expect((await running.send(path, init)).status).toBe(200);
  }

  it('leaves a confirmation unavailable after the last retry of CONFIRMATION_RETRY_FOR_MS: held event withheld, one event, counted in /metrics', async () => {
    const running = await start({ ...FAST, CONFIRMATION_RETRY_FOR_MS: '1000' });
    fake.setPayment('810001', PAID);
    fake.setMode('810001', 'bad-signature');
    await paid(running, '810001');
    const confirmation = await settledConfirmation(store, merchant.companyId, '810001');
    const asked = fake.requests.filter((request) => request.number === '810001').length;
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(confirmation).toEqual({
      state: 'unavailable',
      qvicklyStatus: null,
      orderid: null,
      currency: null,
      amount: null,
      relatedNumber: null,
      checkedAt: expect.any(String),
      attempts: asked,
      error: { code: 'bad-signature', message: "credentials.hash does not match the answer's data" },
    });
    expect((await outboxOf(database, merchant.companyId, '810001')).map(({ type, state, confirmation: c }) => [type, state, c?.state])).toEqual([
      ['payment.status_changed', 'withheld', 'pending'],
      ['payment.confirmation_changed', 'pending', 'unavailable'],
    ]);
    const metrics = (await running.send('/metrics')).text;
    expect([
      metric(metrics, 'qvickly_ipn_confirmation_checks_total{state="pending"}'),
      metric(metrics, 'qvickly_ipn_confirmation_checks_total{state="unavailable"}'),
      metric(metrics, 'qvickly_ipn_confirmation_checks_total{state="confirmed"}'),
      metric(metrics, 'qvickly_ipn_confirmations_pending'),
      metric(metrics, 'qvickly_ipn_confirmations_due'),
      metric(metrics, 'qvickly_ipn_confirmations_oldest_due_seconds'),
    ]).toEqual([asked - 1, 1, 0, 0, 0, 0]);
    expect(running.logs.filter((line) => line.number === '810001' && line.state === 'unavailable')).toEqual([
      expect.objectContaining({ level: 40, msg: 'confirmation checked', attempts: asked }),
    ]);
  });

  it('with CONFIRMATION_CONCURRENCY=0 asks Qvickly nothing, and /metrics shows the backlog: pending, due and the oldest one\'s wait', async () => {
    const running = await start({ ...FAST, CONFIRMATION_CONCURRENCY: '0' });
    await paid(running, '820001');
    await paid(running, '820002');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const metrics = (await running.send('/metrics')).text;
    expect([metric(metrics, 'qvickly_ipn_confirmations_pending'), metric(metrics, 'qvickly_ipn_confirmations_due')]).toEqual([2, 2]);
    expect(metric(metrics, 'qvickly_ipn_confirmations_oldest_due_seconds')).toBeGreaterThanOrEqual(0.05);
    expect(fake.requests).toEqual([]);
  });

  it('stops within SHUTDOWN_TIMEOUT_MS while Qvickly hangs, recording nothing and releasing the lease so the check is due again at once', async () => {
    const running = await start({ ...FAST, SHUTDOWN_TIMEOUT_MS: '300', QVICKLY_API_TIMEOUT_MS: '4000', CONFIRMATION_LEASE_MS: '30000' });
    fake.setMode('830001', 'hang');
    await paid(running, '830001');
    await waitFor(async () => fake.requests.length, (count) => count === 1);
    const started = performance.now();
    await running.stop();
    service = undefined;
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await store.confirmations.find(merchant.companyId, '830001')).toMatchObject({ state: 'pending', attempts: 0, error: null });
    const now = new Date();
    expect((await store.confirmations.lease(10, now, new Date(now.getTime() + 1000))).map((check) => check.lease.number)).toEqual(['830001']);
  });
});
