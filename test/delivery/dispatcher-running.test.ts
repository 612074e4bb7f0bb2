import { createDispatcher, type Dispatcher, type DispatcherOptions } from '../../src/delivery/dispatcher';
import type { OutboxPort } from '../../src/ipn/outbox-ports';
import { sendEvent } from '../../src/delivery/send';
import { pause, paymentEvent, SECRET, waitFor } from '../support/delivery-harness';
import { createManualClock, type ManualClock } from '../support/manual-clock';
import { createMemoryOutbox, type MemoryOutbox } from '../support/memory-outbox';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// These tests run the dispatcher on real timers (start, polls, stop); the manual clock stands
// still, so nothing here waits for a retry.
let clock: ManualClock;
let outbox: MemoryOutbox;
let receiver: WebhookReceiver;
let running: Dispatcher | undefined;

function start(overrides: Partial<DispatcherOptions> = {}): Dispatcher {
  running = createDispatcher({
    outbox,
    send: (event, now) => sendEvent({ url: receiver.url, secret: SECRET, timeoutMs: 10_000 }, event, now),
    clock: clock.now,
    random: () => 0,
    concurrency: 8,
    leaseMs: 60_000,
    pollIntervalMs: 10,
    retryForMs: 3 * 24 * 60 * 60 * 1000,
    ...overrides,
  });
  running.start();
  return running;
}

const record = (eventId: string, number: string): void => outbox.record(paymentEvent(eventId, number, clock.now()), clock.now());
const deliveredIds = (): string[] => receiver.deliveries.map((request) => request.eventId);

beforeEach(async () => {
  clock = createManualClock();
  outbox = createMemoryOutbox();
  receiver = await startWebhookReceiver({ secret: SECRET, now: clock.now });
});
afterEach(async () => {
  receiver.release();
  await running?.stop(10_000);
  running = undefined;
  await receiver.close();
});

describe('a running dispatcher', () => {
  it('never has more than `concurrency` (3) sends in flight, leases no more than its free slots, and uses all 3', async () => {
    for (let p = 1; p <= 20; p++) record(`e${p}`, String(p));
    receiver.answer('hold');
    const limits: number[] = [];
    let sending = 0;
    let maxSending = 0;
    const counting: OutboxPort = { ...outbox, lease: (limit, now, until) => (limits.push(limit), outbox.lease(limit, now, until)) };
    start({
      outbox: counting,
      concurrency: 3,
      send: async (event, now) => {
        maxSending = Math.max(maxSending, ++sending);
        try {
          return await sendEvent({ url: receiver.url, secret: SECRET, timeoutMs: 10_000 }, event, now);
        } finally {
          sending -= 1;
        }
      },
    });
    for (const batch of [3, 3, 3, 3, 3, 3, 2]) {
      await waitFor(() => receiver.held === batch, `${batch} held requests`);
      await pause(50); // five polls: none may add a request while 3 are in flight
      expect(receiver.inFlight).toBe(batch);
      receiver.release();
    }
    await waitFor(() => receiver.deliveries.length === 20, '20 deliveries');
    expect(receiver.maxInFlight).toBe(3);
    expect(maxSending).toBe(3);
    expect(Math.max(...limits)).toBe(3);
    expect(receiver.requests).toHaveLength(20);
  });

  it('wake() delivers a newly recorded event at once instead of at the next poll', async () => {
    const dispatcher = start({ pollIntervalMs: 60_000 });
    await pause(20); // the first look, which finds nothing
    record('e1', '1');
    dispatcher.wake();
    // Recorded as delivered: by then its completion has looked for more (it found nothing).
    await waitFor(() => outbox.stateOf('e1') === 'delivered', 'e1 recorded as delivered');
    record('e2', '2');
    await pause(100);
    expect(receiver.requests.map((request) => request.eventId)).toEqual(['e1']);
    dispatcher.wake();
    await waitFor(() => receiver.deliveries.length === 2, 'e2 delivered');
    expect(deliveredIds()).toEqual(['e1', 'e2']);
  });

  it("delivers a payment's next event as soon as the earlier one is delivered, without waiting for a poll", async () => {
    for (let i = 1; i <= 5; i++) record(`a${i}`, '1');
    start({ pollIntervalMs: 60_000 });
    await waitFor(() => receiver.deliveries.length === 5, 'five deliveries');
    expect(deliveredIds()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
  });

  it('stop() waits for the sends in flight and records their results, then sends nothing more', async () => {
    record('e1', '1');
    record('e2', '2');
    receiver.answer('hold');
    const dispatcher = start();
    await waitFor(() => receiver.held === 2, 'two held requests');
    let stopped: boolean | undefined;
    const stopping = dispatcher.stop(10_000).then((drained) => (stopped = drained));
    await pause(50);
    expect(stopped).toBeUndefined();
    receiver.release();
    await stopping;
    expect(stopped).toBe(true);
    expect([outbox.stateOf('e1'), outbox.stateOf('e2')]).toEqual(['delivered', 'delivered']);
    record('e3', '3');
    dispatcher.wake();
    await pause(50);
    expect(receiver.requests).toHaveLength(2);
    expect(outbox.stateOf('e3')).toBe('pending');
  });

  it('stop(timeout) stops waiting after the timeout and resolves false; the send still completes and is recorded', async () => {
    record('e1', '1');
    receiver.answer('hold');
    const dispatcher = start();
    await waitFor(() => receiver.held === 1, 'a held request');
    expect(await dispatcher.stop(50)).toBe(false);
    receiver.release();
    await waitFor(() => outbox.stateOf('e1') === 'delivered', 'e1 recorded as delivered');
  });

  it('keeps going when the outbox fails: the error goes to onError and the next poll delivers', async () => {
    record('e1', '1');
    const errors: unknown[] = [];
    let failures = 1;
    const flaky: OutboxPort = {
      ...outbox,
      lease: async (limit, now, until) => {
        if (failures-- > 0) throw new Error('database unreachable');
        return outbox.lease(limit, now, until);
      },
    };
    start({ outbox: flaky, onError: (error) => errors.push(error) });
    await waitFor(() => receiver.deliveries.length === 1, 'e1 delivered');
    expect(errors).toEqual([new Error('database unreachable')]);
  });

  it('passes an error thrown by onAttempt to onError and still records the delivery', async () => {
    record('e1', '1');
    const errors: unknown[] = [];
    start({
      onAttempt: () => {
        throw new Error('metrics broke');
      },
      onError: (error) => errors.push(error),
    });
    await waitFor(() => outbox.stateOf('e1') === 'delivered', 'e1 recorded as delivered');
    await waitFor(() => errors.length === 1, 'the error passed on');
    expect(errors).toEqual([new Error('metrics broke')]);
  });

  it('reports every attempt to onAttempt with its outcome', async () => {
    record('e1', '1');
    record('e2', '2');
    receiver.answerFor('e2', 410);
    const outcomes: string[] = [];
    start({ onAttempt: (report) => outcomes.push(`${report.event.eventId} ${report.outcome} ${report.attempt.statusCode} ${report.recorded}`) });
    await waitFor(() => outcomes.length === 2, 'two attempts');
    expect(outcomes.sort()).toEqual(['e1 delivered 200 true', 'e2 gone 410 true']);
  });

  it.each([
    ['a concurrency of 0', { concurrency: 0 }, 'concurrency must be a positive integer'],
    ['a concurrency of 1.5', { concurrency: 1.5 }, 'concurrency must be a positive integer'],
    ['a negative leaseMs', { leaseMs: -1 }, 'leaseMs must be a non-negative number'],
    ['a NaN pollIntervalMs', { pollIntervalMs: Number.NaN }, 'pollIntervalMs must be a non-negative number'],
  ])('refuses %s', (_title, overrides, message) => {
    const options: DispatcherOptions = {
      outbox,
      send: (event, now) => sendEvent({ url: receiver.url, secret: SECRET, timeoutMs: 10_000 }, event, now),
      clock: clock.now,
      random: () => 0,
      concurrency: 1,
      leaseMs: 60_000,
      pollIntervalMs: 10,
      retryForMs: 60_000,
    };
    expect(() => createDispatcher({ ...options, ...overrides })).toThrow(message);
  });
});
