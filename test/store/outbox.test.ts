import type { AttemptRecord, EventLedger, OutboxEvent } from '../../src/ipn/outbox-ports';
import { bodyOf } from '../../src/store/event-rows';
import type { PaymentStore } from '../../src/store/types';
import type { EventToRecord } from '../support/memory-outbox';
import { describeOutboxContract } from '../support/outbox-contract';
import { rawWrite } from '../support/raw-rows';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

// The outbox half of the store contract, on this project's engine: the dispatcher's rules (the
// same suite as the in-memory reference) and what operators list, show, redeliver and prune.

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const OTHER = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const T0 = Date.parse('2026-11-20T14:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);

interface RowToRecord extends EventToRecord {
  state?: string;
}

/** The payment_events row a store would write for an event (its fields, from which the body is computed). */
function rowOf(event: RowToRecord, now: Date): Record<string, unknown> {
  return {
    event_id: event.eventId,
    type: event.type,
    state: event.state ?? 'pending',
    company_id: event.companyId,
    number: event.number,
    booking_id: 'B-1',
    article_type_id: 1,
    orderid: 'P-1',
    status: 'Paid',
    category: 'settled',
    previous_status: null,
    previous_category: null,
    routing: 'signed',
    confirmation: null,
    callback_id: null,
    occurred_at: now.toISOString(),
    next_attempt_at: now.toISOString(),
  };
}

async function recordRow(database: TestDatabase, event: RowToRecord, now: Date): Promise<void> {
  const row = rowOf(event, now);
  const columns = Object.keys(row);
  await rawWrite(
    database,
    {
      sqlite: `INSERT INTO payment_events (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      postgres: `INSERT INTO payment_events (${columns.join(', ')}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`,
    },
    Object.values(row),
  );
}

async function openFixture(): Promise<{ database: TestDatabase; store: PaymentStore }> {
  const database = await createTestDatabase();
  return { database, store: await database.open() };
}

describeStore(`the ${engine} outbox`, () => {
  describeOutboxContract(`the ${engine} outbox`, async () => {
    const { database, store } = await openFixture();
    return {
      outbox: store.events,
      record: (event, now) => recordRow(database, event, now),
      bodyOf: (event) => bodyOf(rowOf(event, at(0))),
      close: async () => {
        await store.close();
        await database.drop();
      },
    };
  });

  describe('for operators', () => {
    let database: TestDatabase;
    let store: PaymentStore;
    let events: EventLedger;
    const record = (eventId: string, number: string, ms: number, extra: Partial<RowToRecord> = {}) =>
      recordRow(database, { eventId, type: 'payment.status_changed', companyId: COMPANY, number, body: '', ...extra }, at(ms));
    const attempt = (ms: number, statusCode: number | null, verdict: AttemptRecord['verdict'], error: string | null = null): AttemptRecord => ({
      attemptedAt: at(ms).toISOString(),
      statusCode,
      durationMs: 7,
      error,
      verdict,
    });
    const leaseOne = async (ms: number): Promise<OutboxEvent> => {
      const leased = await events.lease(1, at(ms), at(ms + 30_000));
      expect(leased).toHaveLength(1);
      return leased[0] as OutboxEvent;
    };

    beforeEach(async () => {
      ({ database, store } = await openFixture());
      events = store.events;
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    it("holds a payment's later events behind a held one (waiting for its confirmation), not behind a withheld one", async () => {
      await record('held', '1', 0, { state: 'held' });
      await record('after-held', '1', 1);
      await record('withheld', '2', 0, { state: 'withheld' });
      await record('after-withheld', '2', 1);
      expect((await events.lease(10, at(5), at(30_000))).map((event) => event.eventId)).toEqual(['after-withheld']);
    });

    it('lists events newest first, filtered by company and by state', async () => {
      await record('a', '1', 0);
      await record('b', '2', 1, { companyId: OTHER });
      await record('c', '3', 2);
      const delivered = await leaseOne(10);
      expect(await events.delivered(delivered, attempt(10, 200, 'delivered'))).toBe(true);
      expect((await events.list({})).map((event) => event.eventId)).toEqual(['c', 'b', 'a']);
      expect((await events.list({ companyId: COMPANY })).map((event) => event.eventId)).toEqual(['c', 'a']);
      expect((await events.list({ state: 'delivered' })).map((event) => event.eventId)).toEqual(['a']);
      expect((await events.list({ limit: 1 })).map((event) => event.eventId)).toEqual(['c']);
    });

    it('shows an event with its body and every attempt in order, the last error and the next attempt', async () => {
      await record('e', '1', 0);
      const first = await leaseOne(0);
      expect(await events.retryLater(first, attempt(0, 500, 'retry'), at(5_000))).toBe(true);
      const second = await leaseOne(5_000);
      expect(await events.retryLater(second, attempt(5_000, null, 'retry', 'timeout: no complete answer within 10000 ms'), at(15_000))).toBe(true);
      expect(await events.show('e')).toEqual({
        eventId: 'e',
        type: 'payment.status_changed',
        state: 'pending',
        companyId: COMPANY,
        number: '1',
        bookingId: 'B-1',
        status: 'Paid',
        occurredAt: at(0).toISOString(),
        attempts: 2,
        nextAttemptAt: at(15_000).toISOString(),
        settledAt: null,
        lastError: 'timeout: no complete answer within 10000 ms',
        body: first.body,
        attemptLog: [attempt(0, 500, 'retry'), attempt(5_000, null, 'retry', 'timeout: no complete answer within 10000 ms')],
      });
      expect(await events.show('unknown')).toBeUndefined();
    });

    it('records a 410 as gone with its settle time and "HTTP 410" as the last error', async () => {
      await record('e', '1', 0);
      expect(await events.giveUp(await leaseOne(0), attempt(3, 410, 'gone'), 'gone')).toBe(true);
      expect(await events.show('e')).toMatchObject({ state: 'gone', settledAt: at(3).toISOString(), lastError: 'HTTP 410', nextAttemptAt: null, attempts: 1 });
    });

    it('redelivers a failed or delivered event from now with a fresh retry window, keeping its attempt log; refuses pending, held, withheld and unknown ones', async () => {
      await record('failed', '1', 0);
      await record('pending', '2', 0);
      await record('held', '3', 0, { state: 'held' });
      await record('withheld', '4', 0, { state: 'withheld' });
      await record('delivered', '5', 1);
      expect(await events.giveUp(await leaseOne(0), attempt(0, 500, 'retry'), 'failed')).toBe(true);
      const pending = await leaseOne(0);
      expect(await events.retryLater(pending, attempt(0, 500, 'retry'), at(60_000))).toBe(true);
      expect(await events.delivered(await leaseOne(1), attempt(1, 204, 'delivered'))).toBe(true);

      expect(await events.redeliver('failed', at(100))).toBe('queued');
      expect(await events.redeliver('delivered', at(100))).toBe('queued');
      expect(await events.redeliver('pending', at(100))).toBe('already-pending');
      expect(await events.redeliver('held', at(100))).toBe('not-sendable');
      expect(await events.redeliver('withheld', at(100))).toBe('not-sendable');
      expect(await events.redeliver('nope', at(100))).toBe('unknown');

      const again = await events.lease(10, at(100), at(30_000));
      expect(again.map((event) => [event.eventId, event.attempts, event.firstAttemptAt])).toEqual([
        ['failed', 0, null],
        ['delivered', 0, null],
      ]);
      expect((await events.show('failed'))?.attemptLog).toHaveLength(1);
    });

    it('redelivers every failed event, or those of one company, and says how many', async () => {
      for (const [eventId, companyId] of [['a', COMPANY], ['b', COMPANY], ['c', OTHER]] as const) {
        await record(eventId, eventId, 0, { companyId });
        expect(await events.giveUp(await leaseOne(0), attempt(0, 503, 'retry'), 'failed')).toBe(true);
      }
      expect(await events.redeliverFailed(OTHER, at(10))).toBe(1);
      expect(await events.redeliverFailed(undefined, at(10))).toBe(2);
      expect(await events.redeliverFailed(undefined, at(10))).toBe(0);
      expect((await events.list({ state: 'pending' })).map((event) => event.eventId)).toEqual(['c', 'b', 'a']);
    });

    it('prunes only events delivered before the cut-off, with their attempts; failed ones stay', async () => {
      await record('old', '1', 0);
      await record('new', '2', 0);
      await record('failed', '3', 0);
      expect(await events.delivered(await leaseOne(0), attempt(1_000, 200, 'delivered'))).toBe(true);
      expect(await events.delivered(await leaseOne(0), attempt(9_000, 200, 'delivered'))).toBe(true);
      expect(await events.giveUp(await leaseOne(0), attempt(1_000, 500, 'retry'), 'failed')).toBe(true);
      expect(await events.pruneDelivered(at(5_000))).toBe(1);
      expect(await events.show('old')).toBeUndefined();
      expect((await events.list({})).map((event) => event.eventId)).toEqual(['failed', 'new']);
      expect(await events.pruneDelivered(at(5_000))).toBe(0);
    });

    it('counts events by state and tells when the oldest pending one was recorded', async () => {
      expect(await events.backlog()).toEqual({
        byState: { held: 0, pending: 0, delivered: 0, failed: 0, gone: 0, withheld: 0 },
        oldestPendingAt: null,
      });
      await record('a', '1', 0);
      await record('b', '2', 2_000);
      await record('c', '3', 1_000, { state: 'held' });
      expect(await events.delivered(await leaseOne(0), attempt(1, 200, 'delivered'))).toBe(true);
      expect(await events.backlog()).toEqual({
        byState: { held: 1, pending: 1, delivered: 1, failed: 0, gone: 0, withheld: 0 },
        oldestPendingAt: at(2_000).toISOString(),
      });
    });
  });
});
