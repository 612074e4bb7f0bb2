import type { PaymentStore } from '../../src/store/types';
import { aCallback, type Merchant } from '../support/callbacks';
import { aConfirmingMerchant, waitFor } from '../support/confirmations';
import { createFakeQvickly } from '../support/fake-qvickly';
import { startServiceProcess, type ServiceProcess } from '../support/processes';
import { outboxOf } from '../support/raw-rows';
import { createTestDatabase, type TestDatabase } from '../support/stores';

// SIGKILL the built service while confirmations are queued and some are in flight (Qvickly
// hangs): after a restart every one of them is confirmed, once, from the database alone.

const engines = process.env.POSTGRES_UNAVAILABLE ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);
const PAYMENTS = 12;
const CONCURRENCY = 4;

describe.each(engines)('confirmations survive a SIGKILL on %s', (engine) => {
  const fake = createFakeQvickly();
  let database: TestDatabase;
  let store: PaymentStore;
  let merchant: Merchant;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    await fake.start();
    database = await createTestDatabase(engine);
    store = await database.open();
    merchant = await aConfirmingMerchant(store, fake);
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => (service.child.exitCode === null ? service.stop() : undefined)));
    await store?.close();
    await database?.drop();
    await fake.stop();
  });

  it(`confirms all ${PAYMENTS} queued payments after a restart, ${CONCURRENCY} of them in flight at the kill, each with one confirmation_changed`, async () => {
    const env = {
      ...database.environment,
      QVICKLY_API_URL: fake.url,
      // Long enough that no hanging request times out before the kill; the lease just above it.
      QVICKLY_API_TIMEOUT_MS: '3000',
      CONFIRMATION_LEASE_MS: '4000',
      CONFIRMATION_POLL_INTERVAL_MS: '50',
      CONFIRMATION_CONCURRENCY: String(CONCURRENCY),
    };
    const numbers = Array.from({ length: PAYMENTS }, (_, index) => String(500100 + index));
    for (const number of numbers) fake.setPayment(number, { status: 'Paid', orderid: 'P123', currency: 'SEK', withtax: '69500' });
    fake.setMode('*', 'hang');

    const first = await startServiceProcess(env);
    services.push(first);
    for (const number of numbers) {
      const { path, init } = aCallback({ merchant, number, status: 'Paid', data: { number, status: 'Paid', orderid: 'P123', url: '' } });
      expect((await fetch(`${first.url}${path}`, init)).status).toBe(200);
    }
    await waitFor(async () => fake.requests.length, (count) => count >= CONCURRENCY);
    await first.kill();
    const inFlight = new Set(fake.requests.map((request) => request.number));
    expect(inFlight.size).toBe(CONCURRENCY);
    expect((await store.confirmations.backlog(new Date())).pending).toBe(PAYMENTS);

    fake.setMode('*', 'answer');
    const second = await startServiceProcess(env);
    services.push(second);
    const confirmations = await waitFor(
      () => Promise.all(numbers.map((number) => store.confirmations.find(merchant.companyId, number))),
      (all) => all.every((confirmation) => confirmation?.state === 'confirmed'),
      20_000,
    );
    expect(confirmations.map((confirmation) => confirmation?.attempts)).toEqual(numbers.map(() => 1));
    // The ones in flight at the kill were asked again once their lease expired; every other one once.
    expect(numbers.map((number) => fake.requests.filter((request) => request.number === number).length)).toEqual(
      numbers.map((number) => (inFlight.has(number) ? 2 : 1)),
    );
    for (const number of numbers) {
      expect((await outboxOf(database, merchant.companyId, number)).map(({ type, state }) => [type, state])).toEqual([
        ['payment.status_changed', 'pending'],
        ['payment.confirmation_changed', 'pending'],
      ]);
    }
    expect(await second.stop()).toBe(0);
  }, 60_000);
});
