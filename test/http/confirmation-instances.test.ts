import type { PaymentStore } from '../../src/store/types';
import { aCallback, type Merchant } from '../support/callbacks';
import { aConfirmingMerchant, settledConfirmation } from '../support/confirmations';
import { createFakeQvickly } from '../support/fake-qvickly';
import { rawRows } from '../support/raw-rows';
import { startTestService, type TestService } from '../support/service';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

// Several instances on one PostgreSQL database share the confirmations through leases: each
// check is made by exactly one of them. (SQLite is one instance per file.)

const describePostgres = engine === 'postgres' ? describeStore : describe.skip;
const PAYMENTS = 60;
const RETRIED = 10;

describePostgres('confirmation with two service instances on one PostgreSQL database', () => {
  const fake = createFakeQvickly();
  let database: TestDatabase;
  let stores: PaymentStore[] = [];
  let instances: TestService[] = [];
  let merchant: Merchant;

  beforeAll(async () => {
    await fake.start();
    database = await createTestDatabase();
    stores = [await database.open(), await database.open()];
    const environment = {
      QVICKLY_API_URL: fake.url,
      QVICKLY_API_TIMEOUT_MS: '2000',
      CONFIRMATION_POLL_INTERVAL_MS: '10',
      CONFIRMATION_LEASE_MS: '10000',
      CONFIRMATION_RETRY_FIRST_MS: '20',
      CONFIRMATION_RETRY_MAX_MS: '40',
    };
    instances = await Promise.all(stores.map((store) => startTestService(store, environment)));
    merchant = await aConfirmingMerchant(stores[0] as PaymentStore, fake);
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await Promise.all(stores.map((store) => store.close()));
    await database?.drop();
    await fake.stop();
  });

  it(`asks Qvickly exactly once per check: ${PAYMENTS} payments sent to both, ${RETRIED} of them failing once (two checks each)`, async () => {
    const numbers = Array.from({ length: PAYMENTS }, (_, index) => String(900000 + index));
    for (const [index, number] of numbers.entries()) {
      fake.setPayment(number, { status: 'Paid', orderid: 'P123', currency: 'SEK', withtax: String(1000 + index) });
      if (index < RETRIED) fake.setMode(number, ['http-500', 'answer']);
    }
    const answers = await Promise.all(
      numbers.map((number, index) => {
        const { path, init } = aCallback({ merchant, number, status: 'Paid', data: { number, status: 'Paid', orderid: 'P123', url: '' } });
        return (instances[index % 2] as TestService).send(path, init);
      }),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);

    const store = stores[0] as PaymentStore;
    const confirmations = await Promise.all(numbers.map((number) => settledConfirmation(store, merchant.companyId, number, 30_000)));
    expect(confirmations.map((confirmation) => [confirmation.state, confirmation.amount])).toEqual(numbers.map((_, index) => ['confirmed', String(1000 + index)]));
    const asked = new Map<string, number>();
    for (const request of fake.requests) asked.set(String(request.number), (asked.get(String(request.number)) ?? 0) + 1);
    expect(numbers.map((number) => asked.get(number))).toEqual(numbers.map((_, index) => (index < RETRIED ? 2 : 1)));
    expect(confirmations.map((confirmation) => confirmation.attempts)).toEqual(numbers.map((_, index) => (index < RETRIED ? 2 : 1)));

    const events = await rawRows(database, {
      sqlite: '',
      postgres: `SELECT number, count(*)::int AS n FROM payment_events WHERE type = 'payment.confirmation_changed' GROUP BY number ORDER BY number`,
    });
    expect(events).toEqual(numbers.map((number) => ({ number, n: 1 })));
    // Both instances took part.
    const checkedBy = instances.map((instance) => instance.logs.filter((line) => line.msg === 'confirmation checked').length);
    expect(checkedBy.every((count) => count > 0)).toBe(true);
    expect(checkedBy[0]! + checkedBy[1]!).toBe(PAYMENTS + RETRIED);
  });
});
