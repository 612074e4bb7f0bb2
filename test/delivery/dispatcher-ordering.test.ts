import { createDispatcher, type AttemptReport, type Dispatcher } from '../../src/delivery/dispatcher';
import { sendEvent } from '../../src/delivery/send';
import { driveUntilSettled, paymentEvent, SECRET } from '../support/delivery-harness';
import { createManualClock, type ManualClock } from '../support/manual-clock';
import { createMemoryOutbox, type MemoryOutbox } from '../support/memory-outbox';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const T0 = Date.parse('2026-11-20T14:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

let clock: ManualClock;
let outbox: MemoryOutbox;
let receiver: WebhookReceiver;
let reports: AttemptReport[];

/** A dispatcher whose jitter is always the shortest: waits of exactly 2.5 s, 5 s, 10 s, 20 s, … */
function dispatcher(retryForMs = 3 * 24 * 60 * 60 * 1000): Dispatcher {
  return createDispatcher({
    outbox,
    send: (event, now) => sendEvent({ url: receiver.url, secret: SECRET, timeoutMs: 10_000 }, event, now),
    clock: clock.now,
    random: () => 0,
    concurrency: 8,
    leaseMs: 60_000,
    pollIntervalMs: 1_000,
    retryForMs,
    onAttempt: (report) => reports.push(report),
  });
}

const record = (eventId: string, number: string): void => outbox.record(paymentEvent(eventId, number, clock.now()), clock.now());
const attemptTimes = (eventId: string): string[] => outbox.attemptsOf(eventId).map((attempt) => attempt.attemptedAt);
const requested = (): string[] => receiver.requests.map((request) => request.eventId);

beforeEach(async () => {
  clock = createManualClock(new Date(T0));
  outbox = createMemoryOutbox();
  receiver = await startWebhookReceiver({ secret: SECRET, now: clock.now });
  reports = [];
});
afterEach(() => receiver.close());

describe('order per payment', () => {
  it("holds a payment's later events while its first is retried, and delivers other payments meanwhile", async () => {
    record('a1', '1');
    record('a2', '1');
    record('b1', '2');
    record('b2', '2');
    record('b3', '2');
    receiver.answerFor('a1', 500, 500);
    await driveUntilSettled(dispatcher().runOnce, outbox, clock);

    expect(attemptTimes('a1')).toEqual([at(0), at(2_500), at(7_500)]);
    expect(attemptTimes('a2')).toEqual([at(7_500)]);
    expect([attemptTimes('b1'), attemptTimes('b2'), attemptTimes('b3')]).toEqual([[at(0)], [at(0)], [at(0)]]);
    expect(requested().slice(2)).toEqual(['b2', 'b3', 'a1', 'a1', 'a2']);
    expect(requested().slice(0, 2).sort()).toEqual(['a1', 'b1']);
    expect(receiver.deliveries.map((request) => request.eventId)).toEqual(['b1', 'b2', 'b3', 'a1', 'a2']);
  });

  it("a 410 makes the event gone: it is never sent again and no longer holds its payment's next event", async () => {
    record('a1', '1');
    record('a2', '1');
    receiver.answerFor('a1', 410);
    await driveUntilSettled(dispatcher().runOnce, outbox, clock);

    expect([outbox.stateOf('a1'), outbox.stateOf('a2')]).toEqual(['gone', 'delivered']);
    expect(requested()).toEqual(['a1', 'a2']);
    expect([attemptTimes('a1'), attemptTimes('a2')]).toEqual([[at(0)], [at(0)]]);
    expect(reports.map((report) => [report.event.eventId, report.outcome, report.nextAttemptAt])).toEqual([
      ['a1', 'gone', null],
      ['a2', 'delivered', null],
    ]);
  });

  it("an event still failing after retryFor is failed after its last attempt within it, and releases its payment's next event", async () => {
    record('a1', '1');
    record('a2', '1');
    receiver.answerFor('a1', 500, 500, 500, 500, 500, 500);
    await driveUntilSettled(dispatcher(60_000).runOnce, outbox, clock);

    // 2.5 s, 5 s, 10 s, 20 s apart; the next wait (40 s) would end after 60 s.
    expect(attemptTimes('a1')).toEqual([at(0), at(2_500), at(7_500), at(17_500), at(37_500)]);
    expect([outbox.stateOf('a1'), outbox.stateOf('a2')]).toEqual(['failed', 'delivered']);
    expect(attemptTimes('a2')).toEqual([at(37_500)]);
    expect(reports.map((report) => report.outcome)).toEqual(['retry', 'retry', 'retry', 'retry', 'failed', 'delivered']);
    expect(reports[4]?.nextAttemptAt).toBeNull();
  });

  it('events recorded for a payment while its first is retried are sent after it, in recording order', async () => {
    record('a1', '1');
    receiver.answerFor('a1', 429);
    const { runOnce } = dispatcher();
    expect((await runOnce()).map((report) => report.outcome)).toEqual(['retry']);
    record('a2', '1');
    record('a3', '1');
    expect(await runOnce()).toEqual([]);
    await driveUntilSettled(runOnce, outbox, clock);
    expect(requested()).toEqual(['a1', 'a1', 'a2', 'a3']);
    expect([attemptTimes('a1'), attemptTimes('a2'), attemptTimes('a3')]).toEqual([[at(0), at(2_500)], [at(2_500)], [at(2_500)]]);
  });

  it('sends the same webhook-id and body on every attempt of an event, each signed at its own time', async () => {
    record('a1', '1');
    receiver.answerFor('a1', 500, 'destroy', 429);
    await driveUntilSettled(dispatcher().runOnce, outbox, clock);
    const requests = receiver.requests;
    expect(requests.map((request) => request.eventId)).toEqual(['a1', 'a1', 'a1', 'a1']);
    expect(new Set(requests.map((request) => request.body)).size).toBe(1);
    expect(requests.map((request) => request.timestamp - T0 / 1000)).toEqual([0, 2, 7, 17]);
    expect(requests.every((request) => request.verifiedByLibrary && request.verifiedIndependently)).toBe(true);
  });
});
