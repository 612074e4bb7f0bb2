import { createQvicklyPaymentApi } from '../../src/qvickly/payment-api';
import type { PaymentStore } from '../../src/store/types';
import { aCallback, type Merchant } from '../support/callbacks';
import { aConfirmingMerchant, gatedQvickly, settledConfirmation } from '../support/confirmations';
import { SECRET, waitFor } from '../support/delivery-harness';
import { createFakeQvickly, type FakePayment } from '../support/fake-qvickly';
import { startTestService, type TestService } from '../support/service';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// For a company that confirms with Qvickly, the booking system hears "paid" only once Qvickly
// confirmed it: the held status_changed is sent after the check, carrying amount and currency;
// a mismatch sends confirmation_changed instead and never the unconfirmed status.

const PAID: FakePayment = { status: 'Paid', orderid: 'P123', currency: 'SEK', withtax: '69500' };

describeStore(`payment events of a confirming company on ${engine}`, () => {
  const fake = createFakeQvickly();
  const gate = gatedQvickly({ getPaymentInfo: (...args) => createQvicklyPaymentApi({ baseUrl: fake.url, timeoutMs: 1000 }).getPaymentInfo(...args) });
  let database: TestDatabase;
  let store: PaymentStore;
  let receiver: WebhookReceiver;
  let service: TestService;
  let merchant: Merchant;
  let numbers = 810000;

  beforeAll(async () => {
    await fake.start();
    database = await createTestDatabase();
    store = await database.open();
    receiver = await startWebhookReceiver({ secret: SECRET });
    service = await startTestService(
      store,
      {
        EVENTS_WEBHOOK_URL: receiver.url,
        EVENTS_WEBHOOK_SECRET: SECRET,
        EVENTS_POLL_INTERVAL_MS: '20',
        EVENTS_TIMEOUT_MS: '10000',
        EVENTS_LEASE_MS: '30000',
        QVICKLY_API_TIMEOUT_MS: '1000',
        CONFIRMATION_POLL_INTERVAL_MS: '20',
        CONFIRMATION_LEASE_MS: '5000',
      },
      { qvickly: gate.source, random: () => 0 },
    );
    merchant = await aConfirmingMerchant(store, fake);
  });
  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
    await store?.close();
    await database?.drop();
    await fake.stop();
  });

  const received = (number: string) =>
    receiver.deliveries.map((request) => JSON.parse(request.body)).filter((event) => event.data.number === number);
  async function paid(number: string, orderid = 'P123'): Promise<void> {
    const { path, init } = aCallback({ merchant, number, status: 'Paid', data: { number, status: 'Paid', orderid, url: '' } });
    expect((await service.send(path, init)).status).toBe(200);
  }

  it('sends Paid only after Qvickly confirmed it, with amount and currency, then confirmation_changed', async () => {
    const number = String(++numbers);
    fake.setPayment(number, PAID);
    const hold = gate.hold(number);
    await paid(number);
    await hold.arrived;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received(number)).toEqual([]);
    hold.release();
    await waitFor(() => received(number).length === 2, 'two events');
    const [statusChanged, confirmationChanged] = received(number);
    expect(statusChanged).toMatchObject({
      type: 'payment.status_changed',
      data: { status: 'Paid', category: 'settled', confirmation: { state: 'confirmed', qvicklyStatus: 'Paid', currency: 'SEK', amount: '69500' } },
    });
    expect(confirmationChanged).toMatchObject({ type: 'payment.confirmation_changed', data: { status: 'Paid', confirmation: { state: 'confirmed' } } });
  });

  it('never sends an unconfirmed Paid: a mismatch sends only confirmation_changed with state mismatch', async () => {
    const number = String(++numbers);
    fake.setPayment(number, { ...PAID, status: 'Created' });
    await paid(number);
    await settledConfirmation(store, merchant.companyId, number);
    await waitFor(() => received(number).length === 1, 'one event');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received(number).map((event) => [event.type, event.data.status, event.data.confirmation.state, event.data.confirmation.qvicklyStatus])).toEqual([
      ['payment.confirmation_changed', 'Paid', 'mismatch', 'Created'],
    ]);
    expect((await store.events.list({ companyId: merchant.companyId, state: 'withheld' })).map((event) => event.number)).toEqual([number]);
  });
});
