import { seededRandom } from '../../scripts/support/random';
import { KNOWN_STATUSES } from '../../src/ipn/status';
import type { PaymentStore } from '../../src/store/types';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { waitFor as readUntil } from '../support/confirmations';
import { SECRET, waitFor } from '../support/delivery-harness';
import { eventSchemaValidator } from '../support/events-contract';
import { startTestService, type TestService } from '../support/service';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// Payment events through the running service: callbacks in, signed webhooks out to a real
// receiver (an HTTP server here that verifies every signature with the library and on its own).

const SEED = Number(process.env.TEST_SEED ?? 20261202);
const PAYMENTS = 50;
const CALLBACKS = 1000;
const validEvent = eventSchemaValidator('PaymentStatusChangedEvent');

interface Sent {
  merchant: Merchant;
  number: string;
  status: string;
}

describeStore(`payment events on ${engine}`, () => {
  let database: TestDatabase;
  let store: PaymentStore;
  let receiver: WebhookReceiver;
  let service: TestService;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await database.open();
    receiver = await startWebhookReceiver({ secret: SECRET });
  });
  afterEach(async () => {
    await service?.stop();
    await receiver.close();
    await store.close();
    await database.drop();
  });

  const start = async (environment: Record<string, string> = {}): Promise<void> => {
    service = await startTestService(store, {
      EVENTS_WEBHOOK_URL: receiver.url,
      EVENTS_WEBHOOK_SECRET: SECRET,
      EVENTS_POLL_INTERVAL_MS: '20',
      // Generous: on a loaded machine a short timeout can expire after the receiver took the
      // event, and the retry is then a (legitimate, at-least-once) second delivery.
      EVENTS_TIMEOUT_MS: '10000',
      EVENTS_LEASE_MS: '30000',
      ...environment,
    });
  };
  const send = async (sent: Sent, bookingId = 'booking-1') => {
    const { path, init } = aCallback({ merchant: sent.merchant, number: sent.number, status: sent.status, bookingId });
    return service.send(path, init);
  };

  it(`delivers exactly one verified payment.status_changed per applied callback, in order per payment, across ${CALLBACKS} callbacks with 20% repeats and shuffled statuses (seed ${SEED})`, async () => {
    await start();
    const random = seededRandom(SEED);
    const merchant = await aMerchant(store);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    // Each payment's callbacks in the order they are sent; payments are sent side by side.
    const plans: Sent[][] = Array.from({ length: PAYMENTS }, () => []);
    for (let index = 0; index < CALLBACKS; index++) {
      const plan = plans[index % PAYMENTS] as Sent[];
      const repeat = plan.length > 0 && random() < 0.2;
      plan.push(repeat ? pick(plan) : { merchant, number: String(900000 + (index % PAYMENTS)), status: pick(KNOWN_STATUSES) });
    }
    await Promise.all(
      plans.map(async (plan) => {
        for (const sent of plan) expect((await send(sent)).status).toBe(200);
      }),
    );

    const applied = new Map<string, string[]>();
    for (let index = 0; index < PAYMENTS; index++) {
      const number = String(900000 + index);
      const payment = await store.findPayment(merchant.companyId, number);
      applied.set(number, (payment?.history ?? []).filter((entry) => entry.outcome === 'applied').map((entry) => entry.status));
    }
    const appliedCount = [...applied.values()].reduce((sum, statuses) => sum + statuses.length, 0);
    await waitFor(
      () => receiver.deliveries.filter((request) => JSON.parse(request.body).type === 'payment.status_changed').length >= appliedCount,
      `${appliedCount} status_changed deliveries`,
      60_000,
    );
    // Let a stray second send show up, if there were one.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const delivered = receiver.deliveries.map((request) => ({ request, event: JSON.parse(request.body) }));
    expect(new Set(delivered.map(({ request }) => request.eventId)).size).toBe(delivered.length);
    expect(receiver.requests.every((request) => request.verifiedByLibrary && request.verifiedIndependently)).toBe(true);
    const statusChanges = delivered.filter(({ event }) => event.type === 'payment.status_changed');
    expect(statusChanges).toHaveLength(appliedCount);
    const seen = new Map<string, string[]>();
    for (const { request, event } of statusChanges) {
      expect(validEvent(event)).toBe(true);
      expect(event.data.eventId).toBe(request.eventId);
      expect(event.data).toMatchObject({ companyId: merchant.companyId, bookingId: 'booking-1', articleTypeId: 1, routing: 'signed', confirmation: null });
      seen.set(event.data.number, [...(seen.get(event.data.number) ?? []), event.data.status]);
    }
    for (const [number, statuses] of applied) expect([number, seen.get(number) ?? []]).toEqual([number, statuses]);
  }, 120_000);

  it('sends the payment before and after: previousStatus, category and the inbox id of the callback', async () => {
    await start();
    const merchant = await aMerchant(store);
    await send({ merchant, number: '5001', status: 'Created' });
    await send({ merchant, number: '5001', status: 'Paid' });
    await waitFor(() => receiver.deliveries.length === 2, 'two deliveries');
    const [created, paid] = receiver.deliveries.map((request) => JSON.parse(request.body));
    const inbox = await store.listCallbacks({ companyId: merchant.companyId });
    const idOf = (status: string) => inbox.find((callback) => callback.status === status)?.callbackId;
    expect(created).toMatchObject({ type: 'payment.status_changed', data: { status: 'Created', category: 'accepted', previousStatus: null, previousCategory: null, callbackId: idOf('Created') } });
    expect(paid).toMatchObject({ type: 'payment.status_changed', data: { status: 'Paid', category: 'settled', previousStatus: 'Created', previousCategory: 'accepted', callbackId: idOf('Paid') } });
    expect(paid.timestamp).toBe(paid.data.occurredAt);
  });

  it('sends payment.conflict for news after the payment ended (answered 200, kept for review), and nothing for a repeat', async () => {
    await start();
    const merchant = await aMerchant(store);
    await send({ merchant, number: '5002', status: 'Cancelled' });
    await send({ merchant, number: '5002', status: 'Cancelled' });
    expect((await send({ merchant, number: '5002', status: 'Paid' })).status).toBe(200);
    await waitFor(() => receiver.deliveries.length === 2, 'two deliveries');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.deliveries.map((request) => JSON.parse(request.body)).map((event) => [event.type, event.data.status])).toEqual([
      ['payment.status_changed', 'Cancelled'],
      ['payment.conflict', 'Paid'],
    ]);
  });

  it('retries an event the receiver answered 500 (same webhook-id and body), and shows both attempts to operators', async () => {
    await start();
    receiver.answerNext(500);
    const merchant = await aMerchant(store);
    await send({ merchant, number: '5003', status: 'Paid' });
    await waitFor(() => receiver.deliveries.length === 1, 'the retry delivered', 15_000);
    const [failed, retried] = receiver.requests;
    expect(retried?.eventId).toBe(failed?.eventId);
    expect(retried?.body).toBe(failed?.body);
    // The receiver counts a delivery when its answer is written, the service once it recorded it.
    const shown = await readUntil(() => store.events.show(String(failed?.eventId)), (event) => event?.state !== 'pending');
    expect(shown).toMatchObject({ state: 'delivered', attempts: 2, lastError: null });
    expect(shown?.attemptLog.map((attempt) => [attempt.statusCode, attempt.verdict])).toEqual([
      [500, 'retry'],
      [200, 'delivered'],
    ]);
    expect(Date.parse(String(shown?.attemptLog[1]?.attemptedAt)) - Date.parse(String(shown?.attemptLog[0]?.attemptedAt))).toBeGreaterThanOrEqual(2_500);
  }, 30_000);

  it('stops sending an event the receiver answered 410: gone, logged at error, counted in /metrics', async () => {
    await start();
    receiver.answerNext(410);
    const merchant = await aMerchant(store);
    await send({ merchant, number: '5004', status: 'Paid' });
    await waitFor(() => service.logs.some((line) => line.msg === 'event receiver answered 410 Gone: this event is not sent again'), 'the 410 log line');
    const [gone] = await store.events.list({ state: 'gone' });
    expect(gone).toMatchObject({ number: '5004', attempts: 1, lastError: 'HTTP 410' });
    expect(service.logs.find((line) => line.eventId === gone?.eventId)?.level).toBe(50);
    const metrics = (await service.send('/metrics')).text;
    expect(metrics).toContain('qvickly_ipn_event_attempts_total{outcome="gone"} 1');
    expect(metrics).toContain('qvickly_ipn_events{state="gone"} 1');
    expect(receiver.requests).toHaveLength(1);
  });

  it('without EVENTS_WEBHOOK_URL records events as pending and sends nothing; /metrics shows them waiting', async () => {
    await start({ EVENTS_WEBHOOK_URL: '', EVENTS_WEBHOOK_SECRET: '' });
    const merchant = await aMerchant(store);
    await send({ merchant, number: '5005', status: 'Created' });
    await send({ merchant, number: '5005', status: 'Paid' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(0);
    expect((await store.events.list({})).map((event) => [event.status, event.state])).toEqual([
      ['Paid', 'pending'],
      ['Created', 'pending'],
    ]);
    const metrics = (await service.send('/metrics')).text;
    expect(metrics).toContain('qvickly_ipn_events{state="pending"} 2');
    expect(metrics).toMatch(/qvickly_ipn_events_oldest_pending_seconds 0\.[1-9]/);
  });
});
