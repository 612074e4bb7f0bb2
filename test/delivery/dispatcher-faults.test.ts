import { seededRandom } from '../../scripts/support/random';
import { createDispatcher, type AttemptReport } from '../../src/delivery/dispatcher';
import { sendEvent } from '../../src/delivery/send';
import {
  byPayment,
  driveUntilSettled,
  expectRetriesOnSchedule,
  paymentEvent,
  SECRET,
} from '../support/delivery-harness';
import { createManualClock } from '../support/manual-clock';
import { createMemoryOutbox, type EventToRecord } from '../support/memory-outbox';
import { startWebhookReceiver, type Fault, type WebhookReceiver } from '../support/webhook-receiver';

const PAYMENTS = 40;
const CONCURRENCY = 8;
const SLOW_FAULTS = 3;
// The sender waits 10 s (the default) for an answer, so a loaded machine cannot turn an
// on-time 200 into a timeout and a second delivery; only the attempts the receiver is planned
// to answer too late get a short timeout, so they cost 200 ms each instead of 10 s.
const TIMEOUT_MS = 10_000;
const SLOW_TIMEOUT_MS = 200;
const DOWN_FOR_MS = 15 * 60 * 1000;

describe('the dispatcher against a receiver failing at random', () => {
  let receiver: WebhookReceiver;
  afterEach(() => receiver.close());

  it.each([20261120, 7])(
    'delivers every event exactly once and in order per payment, none lost, retries on schedule (seed %i)',
    async (seed) => {
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const clock = createManualClock();
      const outbox = createMemoryOutbox();
      receiver = await startWebhookReceiver({ secret: SECRET, now: clock.now });

      // 40 payments with 1-4 events each; each event meets 0-4 faults, then 200 (or 410: gone).
      const paymentOf = new Map<string, string>();
      const queues: EventToRecord[][] = [];
      const plan = new Map<string, Fault[]>();
      let slowLeft = SLOW_FAULTS;
      for (let p = 1; p <= PAYMENTS; p++) {
        const number = String(810_000 + p);
        const events = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => {
          const eventId = `evt-${number}-${i + 1}`;
          paymentOf.set(eventId, number);
          const faults: Fault[] = [];
          while (faults.length < 4 && random() < 0.4) {
            const fault = pick<Fault>([500, 429, 'destroy', 'slow']);
            if (fault === 'slow' && slowLeft-- <= 0) continue;
            faults.push(fault);
          }
          if (random() < 0.06) faults.push(410);
          plan.set(eventId, faults);
          return paymentEvent(eventId, number, clock.now());
        });
        queues.push(events);
      }
      const recorded = new Map<string, EventToRecord>();
      const recordNext = (): void => {
        const open = queues.filter((queue) => queue.length > 0);
        if (open.length === 0) return;
        const next = pick(open).shift() as EventToRecord;
        outbox.record(next, clock.now());
        recorded.set(next.eventId, next);
      };

      // The receiver answers each event's requests with its planned faults in turn, then 200.
      const seen = (eventId: string): number => receiver.requests.filter((request) => request.eventId === eventId).length;
      const plannedFault = (eventId: string): Fault => plan.get(eventId)?.[seen(eventId)] ?? 'ok';
      receiver.answer((request) => plannedFault(request.eventId));

      const reports: AttemptReport[] = [];
      const dispatcher = createDispatcher({
        outbox,
        send: (event, now) =>
          sendEvent(
            { url: receiver.url, secret: SECRET, timeoutMs: plannedFault(event.eventId) === 'slow' ? SLOW_TIMEOUT_MS : TIMEOUT_MS },
            event,
            now,
          ),
        clock: clock.now,
        random,
        concurrency: CONCURRENCY,
        leaseMs: 60_000,
        pollIntervalMs: 1_000,
        retryForMs: 3 * 24 * 60 * 60 * 1000,
        onAttempt: (report) => reports.push(report),
      });

      // Half the events exist at the start, the rest are recorded one per round while others
      // are retried; the receiver goes down at round 5 for 15 minutes.
      const total = queues.reduce((sum, queue) => sum + queue.length, 0);
      for (let i = 0; i < total / 2; i++) recordNext();
      let upAt: number | undefined;
      await driveUntilSettled(dispatcher.runOnce, outbox, clock, async (round) => {
        recordNext();
        if (round === 5) {
          await receiver.down();
          upAt = clock.now().getTime() + DOWN_FOR_MS;
        }
        if (upAt !== undefined && clock.now().getTime() >= upAt) {
          await receiver.up();
          upAt = undefined;
        }
        return recorded.size < total || upAt !== undefined;
      });

      // Nothing pending; each event delivered, or gone exactly when it was answered 410.
      expect(recorded.size).toBe(total);
      expect(outbox.pendingCount()).toBe(0);
      const expectedStates = new Map([...recorded.keys()].map((id) => [id, plan.get(id)?.includes(410) ? 'gone' : 'delivered']));
      expect(new Map([...recorded.keys()].map((id) => [id, outbox.stateOf(id)]))).toEqual(expectedStates);

      // Every delivered event reached the receiver with a 200 exactly once; a gone one never.
      const delivered = [...expectedStates].filter(([, state]) => state === 'delivered').map(([id]) => id);
      expect([...receiver.deliveries.map((request) => request.eventId)].sort()).toEqual(delivered.sort());

      // Per payment: deliveries in recording order, and no request for an event ever came
      // before the receiver was done with every earlier event of its payment.
      const recordedOrder = byPayment(
        [...recorded.keys()].map((eventId) => ({ eventId }) as never),
        (id) => paymentOf.get(id) as string,
      );
      const deliveredOrder = byPayment(receiver.deliveries, (id) => paymentOf.get(id) as string);
      for (const [payment, ids] of recordedOrder) {
        expect(deliveredOrder.get(payment) ?? []).toEqual(ids.filter((id) => expectedStates.get(id) === 'delivered'));
      }
      for (const [payment, ids] of byPayment(receiver.requests, (id) => paymentOf.get(id) as string)) {
        const positions = ids.map((id) => recordedOrder.get(payment)?.indexOf(id) ?? -1);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
      }

      // The receiver saw each planned fault once, then the 200; the rest were refused while down.
      for (const [eventId, faults] of plan) {
        const answered = expectedStates.get(eventId) === 'delivered' ? [...faults, 'ok'] : faults;
        expect({ eventId, answers: receiver.requests.filter((r) => r.eventId === eventId).map((r) => r.fault) }).toEqual({
          eventId,
          answers: answered,
        });
      }
      for (const request of receiver.requests) {
        expect(request).toMatchObject({ verifiedByLibrary: true, verifiedIndependently: true, contentType: 'application/json' });
        expect(request.body).toBe(recorded.get(request.eventId)?.body);
      }

      // Every attempt was recorded, at the time the previous one scheduled it.
      expect(reports.every((report) => report.recorded)).toBe(true);
      for (const eventId of recorded.keys()) {
        expect(outbox.attemptsOf(eventId)).toEqual(reports.filter((r) => r.event.eventId === eventId).map((r) => r.attempt));
      }
      expectRetriesOnSchedule(reports);

      // Each kind of failure happened, and never more than 8 requests were in flight.
      const errors = reports.map((report) => report.attempt.error ?? `HTTP ${report.attempt.statusCode}`);
      const kinds = ['HTTP 500', 'HTTP 429', 'HTTP 410', 'terminated: ', 'timeout: ', 'ECONNREFUSED'];
      expect(kinds.filter((kind) => !errors.some((error) => error.includes(kind)))).toEqual([]);
      expect(receiver.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    },
    60_000,
  );
});
