import type { EventDetail, EventSummary } from '../../src/ipn/outbox-ports';
import type { PaymentStore } from '../../src/store/types';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { waitFor as readUntil } from '../support/confirmations';
import { SECRET, waitFor } from '../support/delivery-harness';
import { startServiceProcess, type ServiceProcess } from '../support/processes';
import { rawRows } from '../support/raw-rows';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver';

// Payment events with several service instances (the built service, as processes) on one
// PostgreSQL database: the outbox's leases (FOR UPDATE SKIP LOCKED) keep two healthy
// dispatchers from sending an event twice, and a lease that runs out hands the events of an
// instance that died to the one still running.

const describePostgres = process.env.POSTGRES_UNAVAILABLE ? describe.skip : describe;

async function post(instance: ServiceProcess, merchant: Merchant, number: string, status: string): Promise<number> {
  const { path, init } = aCallback({ merchant, number, status });
  const response = await fetch(`${instance.url}${path}`, init);
  await response.text();
  return response.status;
}

/** The company's events in the order they were recorded (list() is newest first). */
async function outboxInOrder(store: PaymentStore, companyId: string): Promise<EventSummary[]> {
  return (await store.events.list({ companyId, limit: 10_000 })).reverse();
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** The event ids per payment number, in the order given. */
function idsByPayment(items: ReadonlyArray<{ eventId: string; number: string }>): Map<string, string[]> {
  const byPayment = new Map<string, string[]>();
  for (const { eventId, number } of items) byPayment.set(number, [...(byPayment.get(number) ?? []), eventId]);
  return byPayment;
}

const numberOf = (request: ReceivedRequest): string => (JSON.parse(request.body) as { data: { number: string } }).data.number;
const typeOf = (request: ReceivedRequest): string => (JSON.parse(request.body) as { type: string }).type;

/** The ids of the events this instance logged as delivered (LOG_LEVEL=debug). */
function deliveredBy(instance: ServiceProcess): string[] {
  return instance.output
    .filter((line) => line.includes('"event delivered"'))
    .map((line) => String((JSON.parse(line) as { eventId: string }).eventId));
}

/** How many of this instance's sends of the event ended with a result it could not record (its lease had run out). */
function notRecordedBy(instance: ServiceProcess, eventId: string): number {
  return instance.output.filter((line) => line.includes('"event result not recorded') && line.includes(`"eventId":"${eventId}"`)).length;
}

describePostgres('payment events with two instances on one PostgreSQL database', () => {
  describe('both instances healthy', () => {
    let database: TestDatabase;
    let store: PaymentStore;
    let receiver: WebhookReceiver;
    let instances: ServiceProcess[] = [];

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      store = await database.open();
      receiver = await startWebhookReceiver({ secret: SECRET });
      const environment = {
        ...database.environment,
        EVENTS_WEBHOOK_URL: receiver.url,
        EVENTS_WEBHOOK_SECRET: SECRET,
        EVENTS_POLL_INTERVAL_MS: '20',
        LOG_LEVEL: 'debug',
      };
      instances = await Promise.all([startServiceProcess(environment), startServiceProcess(environment)]);
    });
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
      await receiver?.close();
      await store?.close();
      await database?.drop();
    });

    // Per payment, four callbacks sent one after another, alternating between the instances;
    // the payments side by side. Some callbacks are stale (no event) and some conflicts
    // (payment.conflict), so the outbox holds both kinds of event.
    const SEQUENCES = [
      ['Pending', 'Created', 'Approved', 'Paid'],
      ['Created', 'Paid', 'Credited', 'Created'],
      ['Created', 'Approved', 'Cancelled', 'Paid'],
      ['WaitingForSwish', 'Created', 'Paid', 'Credited'],
    ];
    const PAYMENTS = 50;

    it(`sends each of the events of ${PAYMENTS * 4} callbacks spread over both instances exactly once (one verified request per webhook-id, recorded delivered after 1 attempt, logged delivered by one instance), both instances sending, in recording order per payment`, async () => {
      const merchant = await aMerchant(store);
      const numbers = Array.from({ length: PAYMENTS }, (_, p) => `two-${p}`);
      await Promise.all(
        numbers.map(async (number, p) => {
          const statuses = SEQUENCES[p % SEQUENCES.length] as string[];
          for (const [i, status] of statuses.entries()) {
            expect(await post(instances[(p + i) % 2] as ServiceProcess, merchant, number, status)).toBe(200);
          }
        }),
      );

      // What the callbacks recorded: each applied callback has its payment.status_changed.
      const applied = new Map<string, string[]>();
      for (const number of numbers) {
        const payment = await store.findPayment(merchant.companyId, number);
        applied.set(number, (payment?.history ?? []).filter((entry) => entry.outcome === 'applied').map((entry) => entry.status));
      }
      const recorded = await outboxInOrder(store, merchant.companyId);
      const appliedCount = [...applied.values()].reduce((sum, statuses) => sum + statuses.length, 0);
      expect(recorded.filter((event) => event.type === 'payment.status_changed')).toHaveLength(appliedCount);
      expect(recorded.filter((event) => event.type === 'payment.conflict').length).toBeGreaterThan(0);

      // Every event delivered as the receiver sees it, and recorded as delivered by the service.
      await waitFor(() => new Set(receiver.deliveries.map((request) => request.eventId)).size >= recorded.length, `${recorded.length} deliveries`, 20_000);
      const settled = await readUntil(
        () => outboxInOrder(store, merchant.companyId),
        (events) => events.every((event) => event.state === 'delivered'),
        10_000,
      );
      await waitFor(() => instances.flatMap(deliveredBy).length >= recorded.length, 'the delivery log lines', 10_000);
      // Let a stray second send show up, if there were one.
      await new Promise((resolve) => setTimeout(resolve, 500));

      const recordedIds = recorded.map((event) => event.eventId);
      // Exactly once on the wire: one request per event, all of them verified and answered 2xx.
      const requestsPerEvent = countBy(receiver.requests, (request) => request.eventId);
      expect([...requestsPerEvent.keys()].sort()).toEqual([...recordedIds].sort());
      expect([...requestsPerEvent.entries()].filter(([, count]) => count !== 1)).toEqual([]);
      expect(receiver.requests).toHaveLength(recorded.length);
      expect(receiver.requests.filter((request) => !request.verifiedByLibrary || !request.verifiedIndependently)).toEqual([]);
      expect(receiver.requests.filter((request) => !request.answered2xx).map((request) => request.eventId)).toEqual([]);
      // Exactly once in the outbox: one attempt each.
      expect(settled.filter((event) => event.state !== 'delivered' || event.attempts !== 1)).toEqual([]);
      // Exactly once across the instances: each event logged delivered by one of them, and both sent some.
      const [first, second] = instances.map(deliveredBy) as [string[], string[]];
      expect([...first, ...second].sort()).toEqual([...recordedIds].sort());
      expect(first.length).toBeGreaterThan(0);
      expect(second.length).toBeGreaterThan(0);

      // In order per payment: the status changes as the history applied them, and every event
      // (conflicts too) in the order the outbox recorded them.
      const seen = new Map<string, string[]>();
      for (const request of receiver.requests.filter((request) => typeOf(request) === 'payment.status_changed')) {
        const { data } = JSON.parse(request.body) as { data: { number: string; status: string } };
        seen.set(data.number, [...(seen.get(data.number) ?? []), data.status]);
      }
      for (const [number, statuses] of applied) expect([number, seen.get(number) ?? []]).toEqual([number, statuses]);
      const sentOrder = idsByPayment(receiver.requests.map((request) => ({ eventId: request.eventId, number: numberOf(request) })));
      expect(sentOrder).toEqual(idsByPayment(recorded));
      console.info(`both healthy: ${recorded.length} events, instance 1 delivered ${first.length}, instance 2 ${second.length}`);
    }, 60_000);
  });

  describe('one instance killed while sending', () => {
    const LEASE_MS = 2_000;
    let database: TestDatabase;
    let store: PaymentStore;
    let receiver: WebhookReceiver;
    const started: ServiceProcess[] = [];

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      store = await database.open();
      receiver = await startWebhookReceiver({ secret: SECRET });
    });
    afterAll(async () => {
      await Promise.all(started.map((instance) => instance.stop()));
      await receiver?.close();
      await store?.close();
      await database?.drop();
    });

    const start = async (environment: Record<string, string>): Promise<ServiceProcess> => {
      const instance = await startServiceProcess({ ...database.environment, ...environment });
      started.push(instance);
      return instance;
    };
    /** A and B: sending to the receiver, a 1 s send timeout, a 2 s lease. */
    const sending = (): Record<string, string> => ({
      EVENTS_WEBHOOK_URL: receiver.url,
      EVENTS_WEBHOOK_SECRET: SECRET,
      EVENTS_POLL_INTERVAL_MS: '20',
      EVENTS_TIMEOUT_MS: '1000',
      EVENTS_LEASE_MS: String(LEASE_MS),
      EVENTS_CONCURRENCY: '8',
      LOG_LEVEL: 'debug',
    });

    it("delivers every event at least once after instance A is SIGKILLed with 8 sends in flight: B takes A's leased events only once their lease expired, none lost, in recording order per payment, A's unanswered requests sent again with the same webhook-id and body", async () => {
      const merchant = await aMerchant(store);
      // Record the events first (an instance that sends nothing), so that A leases 8 at once
      // and all 8 sends are in flight together, well within A's 1 s send timeout.
      const recorder = await start({});
      const numbers = Array.from({ length: 20 }, (_, p) => `kill-${p}`);
      for (const status of ['Created', 'Paid']) {
        const answers = await Promise.all(numbers.map((number) => post(recorder, merchant, number, status)));
        expect(answers.filter((answer) => answer !== 200)).toEqual([]);
      }
      await recorder.stop();
      const recorded = await outboxInOrder(store, merchant.companyId);
      expect(recorded).toHaveLength(40);
      expect(recorded.filter((event) => event.state !== 'pending')).toEqual([]);

      // A leases 8 events (one per payment: a payment's second waits for its first) and sends
      // them; the receiver holds every request. Then A dies without a word.
      receiver.answer('hold');
      const a = await start(sending());
      await waitFor(() => receiver.held >= 8, "A's 8 sends held by the receiver", 20_000);
      await a.kill();
      const sentByA = receiver.requests.map((request) => request.eventId);
      expect(sentByA).toHaveLength(8);
      expect(new Set(sentByA.map((eventId) => recorded.find((event) => event.eventId === eventId)?.number)).size).toBe(8);
      // The outbox still has exactly those leased, by the dead A.
      const leases = await rawRows(database, {
        sqlite: '',
        postgres: 'SELECT event_id, lease_until FROM payment_events WHERE lease_token IS NOT NULL',
      });
      expect(leases.map((row) => String(row.event_id)).sort()).toEqual([...sentByA].sort());
      const leaseUntil = new Map(leases.map((row) => [String(row.event_id), Date.parse(String(row.lease_until))]));
      const killedAt = Date.now();

      // B starts with the same settings; the receiver answers from now on.
      // A's held requests are never answered: their connections died with A.
      await waitFor(() => receiver.inFlight === 0, "the receiver to see A's connections close", 5_000);
      receiver.answer('ok');
      const b = await start(sending());
      const settled = await readUntil(
        () => outboxInOrder(store, merchant.companyId),
        (events) => events.every((event) => event.state === 'delivered'),
        20_000,
      );
      const deliveredAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 500));

      // None lost: every event delivered, answered 2xx at least once.
      const recordedIds = recorded.map((event) => event.eventId);
      expect(settled.map((event) => event.eventId)).toEqual(recordedIds);
      const okPerEvent = countBy(receiver.deliveries, (request) => request.eventId);
      expect([...okPerEvent.keys()].sort()).toEqual([...recordedIds].sort());
      expect(receiver.requests.filter((request) => !request.verifiedByLibrary || !request.verifiedIndependently)).toEqual([]);
      // In order per payment, as a receiver de-duplicating by webhook-id sees them (first 2xx of each).
      const firstDeliveries = receiver.deliveries.filter((request, index, all) => all.findIndex((other) => other.eventId === request.eventId) === index);
      expect(idsByPayment(firstDeliveries.map((request) => ({ eventId: request.eventId, number: numberOf(request) })))).toEqual(idsByPayment(recorded));

      // Nothing A did was recorded (its results died with it): every recorded attempt is B's, made
      // after the kill, the last one delivered; B took A's leased events only once A's lease expired.
      const shown = new Map<string, EventDetail>();
      for (const eventId of recordedIds) shown.set(eventId, (await store.events.show(eventId)) as EventDetail);
      for (const [eventId, event] of shown) {
        expect([eventId, event.state, event.lastError, event.attempts]).toEqual([eventId, 'delivered', null, event.attemptLog.length]);
        expect([eventId, event.attemptLog.at(-1)?.statusCode, event.attemptLog.at(-1)?.verdict]).toEqual([eventId, 200, 'delivered']);
        expect(event.attemptLog.filter((attempt) => Date.parse(attempt.attemptedAt) < killedAt)).toEqual([]);
      }
      for (const eventId of sentByA) {
        const takenOverAt = Date.parse(String(shown.get(eventId)?.attemptLog[0]?.attemptedAt));
        expect([eventId, takenOverAt >= (leaseUntil.get(eventId) as number)]).toEqual([eventId, true]);
      }

      // On the wire: A's 8 requests (never answered) again from B, with the same webhook-id and
      // body, so the receiver can de-duplicate. Every other request is one of B's attempts: a
      // recorded one, or one whose result B could not record and logged so (on a starved
      // machine B's own 2 s lease can run out during a send, and B sends the event again).
      const requestsPerEvent = countBy(receiver.requests, (request) => request.eventId);
      for (const eventId of sentByA) {
        const [fromA, ...fromB] = receiver.requests.filter((request) => request.eventId === eventId);
        expect([eventId, fromA?.answered2xx, fromB.length > 0]).toEqual([eventId, false, true]);
        expect(fromB.filter((request) => request.body !== fromA?.body)).toEqual([]);
      }
      const unexplained = (): Array<[string, number]> =>
        [...requestsPerEvent].filter(([eventId, count]) => {
          const byB = count - (sentByA.includes(eventId) ? 1 : 0);
          return byB < 1 || byB > (shown.get(eventId)?.attemptLog.length ?? 0) + notRecordedBy(b, eventId);
        });
      await waitFor(() => unexplained().length === 0, "B's log lines for results it could not record", 5_000).catch(() => undefined);
      expect(unexplained()).toEqual([]);
      await waitFor(() => deliveredBy(b).length >= recorded.length, "B's delivery log lines", 10_000);
      expect(deliveredBy(b).sort()).toEqual([...recordedIds].sort());

      const twice = [...requestsPerEvent].filter(([, count]) => count > 1).length;
      const okTwice = [...okPerEvent].filter(([, count]) => count > 1).length;
      const retriedByB = [...shown.values()].filter((event) => event.attempts > 1).length;
      const unrecordedByB = recordedIds.reduce((sum, eventId) => sum + notRecordedBy(b, eventId), 0);
      console.info(
        `kill: ${recorded.length} events, ${sentByA.length} leased and sent by A when killed; ${twice} reached the receiver more than once, ` +
          `${okTwice} answered 2xx more than once, ${retriedByB} attempted more than once by B, ${unrecordedByB} sends by B whose result was not recorded; ` +
          `B delivered all within ${deliveredAt - killedAt} ms of the kill (lease ${LEASE_MS} ms)`,
      );
    }, 60_000);
  });
});
