import { performance } from 'node:perf_hooks';
import { seededRandom } from '../../scripts/support/random';
import { createDispatcher, type AttemptReport, type Dispatcher, type DispatcherOptions } from '../../src/delivery/dispatcher';
import type { AttemptRecord } from '../../src/ipn/outbox-ports';
import { sendEvent, type EventToSend } from '../../src/delivery/send';
import { byPayment, paymentEvent, SECRET, waitFor } from '../support/delivery-harness';
import { createManualClock } from '../support/manual-clock';
import { createMemoryOutbox, type EventToRecord, type MemoryOutbox } from '../support/memory-outbox';
import { startWebhookReceiver, type Fault, type WebhookReceiver } from '../support/webhook-receiver';

const T0 = Date.parse('2026-11-20T14:00:00.000Z');
const LEASE_MS = 30_000;

let receiver: WebhookReceiver;
let outbox: MemoryOutbox;
afterEach(() => receiver.close());

function options(overrides: Partial<DispatcherOptions> & Pick<DispatcherOptions, 'clock'>): DispatcherOptions {
  return {
    outbox,
    send: (event, now) => sendEvent({ url: receiver.url, secret: SECRET, timeoutMs: 10_000 }, event, now),
    random: () => 0,
    concurrency: 4,
    leaseMs: LEASE_MS,
    pollIntervalMs: 1_000,
    retryForMs: 3 * 24 * 60 * 60 * 1000,
    ...overrides,
  };
}

describe('several dispatchers on one outbox', () => {
  it("a second dispatcher takes over an event once the lease of the dispatcher that died sending it has expired; the dead one's late result is ignored", async () => {
    const clock = createManualClock(new Date(T0));
    outbox = createMemoryOutbox();
    receiver = await startWebhookReceiver({ secret: SECRET, now: clock.now });
    outbox.record(paymentEvent('a1', '1', clock.now()), clock.now());
    outbox.record(paymentEvent('a2', '1', clock.now()), clock.now());

    // The first instance leases a1 and then never finishes sending it (it died).
    let finishDeadSend: (attempt: AttemptRecord) => void = () => undefined;
    const deadSends: EventToSend[] = [];
    const deadReports: AttemptReport[] = [];
    const dead = createDispatcher(
      options({
        clock: clock.now,
        send: (event) => {
          deadSends.push(event);
          return new Promise((resolve) => (finishDeadSend = resolve));
        },
        onAttempt: (report) => deadReports.push(report),
      }),
    );
    const deadRun = dead.runOnce();
    await waitFor(() => deadSends.length > 0, 'the first instance to send');
    expect(deadSends.map((event) => event.eventId)).toEqual(['a1']);

    const reports: AttemptReport[] = [];
    const survivor = createDispatcher(options({ clock: clock.now, onAttempt: (report) => reports.push(report) }));
    expect(await survivor.runOnce()).toEqual([]);
    clock.advance(LEASE_MS - 1);
    expect(await survivor.runOnce()).toEqual([]);
    clock.advance(1);
    expect((await survivor.runOnce()).map((report) => [report.event.eventId, report.outcome, report.recorded])).toEqual([['a1', 'delivered', true]]);
    expect((await survivor.runOnce()).map((report) => [report.event.eventId, report.outcome, report.recorded])).toEqual([['a2', 'delivered', true]]);

    // The first instance comes back with a result for a1: it changes nothing.
    finishDeadSend({ attemptedAt: new Date(T0).toISOString(), statusCode: 500, durationMs: 30_000, error: null, verdict: 'retry' });
    await deadRun;
    expect(deadReports.map((report) => [report.event.eventId, report.outcome, report.recorded])).toEqual([['a1', 'retry', false]]);
    expect([outbox.stateOf('a1'), outbox.stateOf('a2')]).toEqual(['delivered', 'delivered']);
    expect(outbox.attemptsOf('a1')).toEqual([reports[0]?.attempt]);
    expect(receiver.deliveries.map((request) => request.eventId)).toEqual(['a1', 'a2']);
  });

  it('two running dispatchers share the events: each delivered exactly once, in order per payment, at most 4 + 4 in flight', async () => {
    // A clock 20 times faster than real time: retries seconds apart come within a fraction of
    // a second, the 24 h lease never expires, and the 5-minute signature window is 15 real seconds.
    const started = performance.now();
    const fast = (): Date => new Date(T0 + (performance.now() - started) * 20);
    outbox = createMemoryOutbox();
    receiver = await startWebhookReceiver({ secret: SECRET, now: fast });
    const random = seededRandom(42);
    const plan = new Map<string, Fault[]>();
    const paymentOf = new Map<string, string>();
    const recorded: EventToRecord[] = [];
    for (let p = 1; p <= 15; p++) {
      for (let i = 1; i <= 4; i++) {
        const eventId = `evt-${p}-${i}`;
        paymentOf.set(eventId, String(p));
        plan.set(eventId, Array.from({ length: Math.floor(random() * 3) }, () => ([500, 429, 'destroy'] as const)[Math.floor(random() * 3)] as Fault));
        recorded.push(paymentEvent(eventId, String(p), fast()));
      }
    }
    receiver.answer((request) => plan.get(request.eventId)?.[receiver.requests.filter((r) => r.eventId === request.eventId).length] ?? 'ok');

    const sentBy = new Map<string, number>();
    const instances: Dispatcher[] = [1, 2].map((instance) =>
      createDispatcher(
        options({
          clock: fast,
          random,
          leaseMs: 24 * 60 * 60 * 1000,
          pollIntervalMs: 5,
          onAttempt: (report) => sentBy.set(`${instance}`, (sentBy.get(`${instance}`) ?? 0) + 1),
        }),
      ),
    );
    // Half recorded before the instances start, the rest while they run, each followed by wake().
    recorded.slice(0, 30).forEach((event) => outbox.record(event, fast()));
    instances.forEach((instance) => instance.start());
    recorded.slice(30).forEach((event, i) => {
      outbox.record(event, fast());
      instances[i % 2]?.wake();
    });
    try {
      await waitFor(() => outbox.pendingCount() === 0, 'every event settled', 30_000);
    } finally {
      await Promise.all(instances.map((instance) => instance.stop(10_000)));
    }

    expect(recorded.map((event) => outbox.stateOf(event.eventId))).toEqual(recorded.map(() => 'delivered'));
    const deliveredOrder = byPayment(receiver.deliveries, (id) => paymentOf.get(id) as string);
    for (let p = 1; p <= 15; p++) {
      expect(deliveredOrder.get(String(p))).toEqual([1, 2, 3, 4].map((i) => `evt-${p}-${i}`));
    }
    for (const [eventId, faults] of plan) {
      expect({ eventId, answers: receiver.requests.filter((r) => r.eventId === eventId).map((r) => r.fault) }).toEqual({
        eventId,
        answers: [...faults, 'ok'],
      });
    }
    expect(receiver.requests.every((request) => request.verifiedByLibrary && request.verifiedIndependently)).toBe(true);
    expect([...sentBy.keys()].sort()).toEqual(['1', '2']);
    expect(receiver.maxInFlight).toBeLessThanOrEqual(8);
  });
});
