import type { PaymentStore } from '../../src/store/types';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { aConfirmingMerchant } from '../support/confirmations';
import { createFakeQvickly, type FakePayment } from '../support/fake-qvickly';
import { runCli, startServiceProcess, type ServiceProcess } from '../support/processes';
import { createTestDatabase, type TestDatabase } from '../support/stores';

// `qvickly-ipn payment confirm` and `payment show --json` with the built CLI, against a fake
// Qvickly; the service (CONFIRMATION_CONCURRENCY=0) only receives the callbacks.

const engines = process.env.POSTGRES_UNAVAILABLE ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);
const PAID: FakePayment = { status: 'Paid', orderid: 'P123', currency: 'SEK', withtax: '69500' };
const PAYMENT_KEYS = ['companyId', 'number', 'bookingId', 'articleTypeId', 'orderid', 'status', 'category', 'url', 'routing', 'updatedAt', 'history'];

describe.each(engines)('payment confirm and payment show on %s', (engine) => {
  const fake = createFakeQvickly();
  let database: TestDatabase;
  let store: PaymentStore;
  let service: ServiceProcess;
  let merchant: Merchant;
  let env: Record<string, string>;

  beforeAll(async () => {
    await fake.start();
    database = await createTestDatabase(engine);
    store = await database.open();
    merchant = await aConfirmingMerchant(store, fake);
    env = { ...database.environment, QVICKLY_API_URL: fake.url, QVICKLY_API_TIMEOUT_MS: '2000', CONFIRMATION_LEASE_MS: '5000' };
    service = await startServiceProcess({ ...env, CONFIRMATION_CONCURRENCY: '0' });
  });
  afterAll(async () => {
    await service?.stop();
    await store?.close();
    await database?.drop();
    await fake.stop();
  });

  async function callback(of: Merchant, number: string, status: string): Promise<void> {
    const { path, init } = aCallback({ merchant: of, number, status, data: { number, status, orderid: 'P123', url: '' } });
    expect((await fetch(`${service.url}${path}`, init)).status).toBe(200);
  }
  const show = async (companyId: string, number: string) => {
    const shown = await runCli(['payment', 'show', companyId, number, '--json'], env);
    expect([shown.code, shown.stderr]).toEqual([0, '']);
    return JSON.parse(shown.stdout) as Record<string, unknown>;
  };

  it('payment show --json keeps its keys in order and adds confirmation (pending while queued) and relatedPayments', async () => {
    await callback(merchant, '600001', 'Paid');
    const shown = await show(merchant.companyId, '600001');
    expect(Object.keys(shown)).toEqual([...PAYMENT_KEYS, 'confirmation', 'relatedPayments']);
    expect([shown.confirmation, shown.relatedPayments]).toEqual([
      { state: 'pending', qvicklyStatus: null, orderid: null, currency: null, amount: null, relatedNumber: null, checkedAt: null, attempts: 0, error: null },
      [],
    ]);
  });

  it('payment show --json has confirmation null for a company without a merchant id', async () => {
    const plain = await aMerchant(store);
    await callback(plain, '600002', 'Paid');
    expect(await show(plain.companyId, '600002')).toMatchObject({ confirmation: null, relatedPayments: [] });
  });

  it('payment confirm asks Qvickly once, prints the confirmed confirmation as the contract shapes it and exits 0; payment show has the same', async () => {
    fake.setPayment('600003', PAID);
    await callback(merchant, '600003', 'Paid');
    const confirmed = await runCli(['payment', 'confirm', merchant.companyId, '600003', '--json'], env);
    expect([confirmed.code, confirmed.stderr]).toEqual([0, '']);
    const confirmation = JSON.parse(confirmed.stdout) as Record<string, unknown>;
    expect(Object.keys(confirmation)).toEqual(['state', 'qvicklyStatus', 'orderid', 'currency', 'amount', 'relatedNumber', 'checkedAt', 'attempts', 'error']);
    expect(confirmation).toEqual({
      state: 'confirmed',
      qvicklyStatus: 'Paid',
      orderid: 'P123',
      currency: 'SEK',
      amount: '69500',
      relatedNumber: null,
      checkedAt: expect.stringMatching(/Z$/),
      attempts: 1,
      error: null,
    });
    expect(fake.requests.filter((request) => request.number === '600003')).toHaveLength(1);
    expect((await show(merchant.companyId, '600003')).confirmation).toEqual(confirmation);
  });

  it('payment confirm of a settled confirmation checks again as a new run (attempts 1) and exits 1 on a mismatch, saying why', async () => {
    fake.setPayment('600004', PAID);
    await callback(merchant, '600004', 'Paid');
    expect((await runCli(['payment', 'confirm', merchant.companyId, '600004'], env)).code).toBe(0);
    fake.setPayment('600004', { ...PAID, status: 'Created' });
    const again = await runCli(['payment', 'confirm', merchant.companyId, '600004'], env);
    expect(again.code).toBe(1);
    expect(again.stdout.split('\n')[0]).toBe('Payment 600004: mismatch - Qvickly reports Created (accepted), behind; the payment is Paid (settled)');
    expect((await show(merchant.companyId, '600004')).confirmation).toMatchObject({ state: 'mismatch', qvicklyStatus: 'Created', attempts: 1 });
  });

  it('payment confirm with Qvickly failing leaves the confirmation pending for the service\'s retries and exits 1', async () => {
    fake.setPayment('600005', PAID);
    fake.setMode('600005', 'http-500');
    await callback(merchant, '600005', 'Paid');
    const failed = await runCli(['payment', 'confirm', merchant.companyId, '600005'], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^Payment 600005: pending - http-status: HTTP 500\nStill pending: the service asks again at \d{4}-\d\d-\d\dT/);
    expect((await show(merchant.companyId, '600005')).confirmation).toMatchObject({ state: 'pending', attempts: 1, error: { code: 'http-status', message: 'HTTP 500' } });
  });

  it('links a credit that came as a new payment number to its original both ways: relatedNumber on the credit, relatedPayments on both', async () => {
    fake.setPayment('600006', PAID);
    fake.setPayment('600007', { ...PAID, status: 'Credited', withtax: '-69500', paymentidRelated: '600006' });
    await callback(merchant, '600006', 'Paid');
    await callback(merchant, '600007', 'Credited');
    expect((await runCli(['payment', 'confirm', merchant.companyId, '600006'], env)).code).toBe(0);
    expect((await runCli(['payment', 'confirm', merchant.companyId, '600007'], env)).code).toBe(0);
    const credit = await show(merchant.companyId, '600007');
    expect([credit.confirmation, credit.relatedPayments]).toEqual([expect.objectContaining({ state: 'confirmed', amount: '-69500', relatedNumber: '600006' }), ['600006']]);
    expect((await show(merchant.companyId, '600006')).relatedPayments).toEqual(['600007']);
  });

  it('payment confirm refuses, exit 1, a company without a merchant id and a payment that does not exist', async () => {
    const plain = await aMerchant(store);
    await callback(plain, '600008', 'Paid');
    expect(await runCli(['payment', 'confirm', plain.companyId, '600008'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: `Company ${plain.companyId} has no Qvickly merchant id, so it does not confirm payments (company set ${plain.companyId} --merchant-id <id>)\n`,
    });
    expect(await runCli(['payment', 'confirm', merchant.companyId, '404404'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: `No payment 404404 for company ${merchant.companyId}\n`,
    });
  });
});
