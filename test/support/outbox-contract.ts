import type { OutboxEvent, OutboxPort } from '../../src/ipn/outbox-ports';
import type { AttemptRecord } from '../../src/ipn/outbox-ports';
import type { EventToRecord } from './memory-outbox';

/** An outbox under test, and how to record an event in it (a store does it in a transaction). */
export interface OutboxFixture {
  outbox: OutboxPort;
  record(event: EventToRecord, now: Date): void | Promise<void>;
  /** The body the outbox sends for a recorded event (a store computes it from the event's fields). */
  bodyOf?(event: EventToRecord): string;
  close?(): Promise<void>;
}

const T0 = Date.parse('2026-11-20T14:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);
const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const OTHER_COMPANY = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

function event(eventId: string, number: string, companyId = COMPANY): EventToRecord {
  return { eventId, type: 'payment.status_changed', companyId, number, body: `{"id":"${eventId}"}` };
}

function attempt(ms: number, verdict: AttemptRecord['verdict']): AttemptRecord {
  const statusCode = verdict === 'delivered' ? 200 : verdict === 'gone' ? 410 : 500;
  return { attemptedAt: at(ms).toISOString(), statusCode, durationMs: 12, error: null, verdict };
}

const ids = (events: OutboxEvent[]): string[] => events.map((leased) => leased.eventId);
const LEASE = 30_000;

/**
 * The rules every OutboxPort follows (see src/delivery/outbox.ts), written against the port
 * alone: run it for the in-memory outbox and for each store.
 */
export function describeOutboxContract(name: string, create: () => Promise<OutboxFixture>): void {
  describe(`${name} follows the outbox rules`, () => {
    let fixture: OutboxFixture;
    let outbox: OutboxPort;
    const lease = (limit: number, ms: number): Promise<OutboxEvent[]> => outbox.lease(limit, at(ms), at(ms + LEASE));
    const record = async (recorded: EventToRecord, ms: number): Promise<void> => {
      await fixture.record(recorded, at(ms));
    };

    beforeEach(async () => {
      fixture = await create();
      outbox = fixture.outbox;
    });
    afterEach(async () => {
      await fixture.close?.();
    });

    it('leases only the oldest pending event of each payment, in recording order', async () => {
      await record(event('p1-a', '1'), 0);
      await record(event('p2-a', '2'), 0);
      await record(event('p1-b', '1'), 0);
      await record(event('p3-a', '3'), 0);
      expect(ids(await lease(10, 0))).toEqual(['p1-a', 'p2-a', 'p3-a']);
    });

    it('leases at most `limit` events, the earliest due first', async () => {
      await record(event('late', '1'), 2_000);
      await record(event('early', '2'), 0);
      await record(event('middle', '3'), 1_000);
      expect(ids(await lease(2, 5_000))).toEqual(['early', 'middle']);
      expect(ids(await lease(2, 5_000))).toEqual(['late']);
      expect(await lease(2, 5_000)).toEqual([]);
    });

    it('does not lease an event before the time it was recorded', async () => {
      await record(event('e', '1'), 1_000);
      expect(await lease(1, 999)).toEqual([]);
      expect(ids(await lease(1, 1_000))).toEqual(['e']);
    });

    it('describes a fresh event: no attempts, no first attempt, its body and a lease token', async () => {
      await record(event('e', '1'), 0);
      const [leased] = await lease(1, 0);
      expect(leased).toEqual({
        eventId: 'e',
        type: 'payment.status_changed',
        companyId: COMPANY,
        number: '1',
        body: fixture.bodyOf?.(event('e', '1')) ?? '{"id":"e"}',
        attempts: 0,
        createdAt: at(0).toISOString(),
        firstAttemptAt: null,
        leaseToken: expect.any(String),
      });
    });

    it('leases an event again only once its lease has expired, under a new token, holding its payment meanwhile', async () => {
      await record(event('p1-a', '1'), 0);
      await record(event('p1-b', '1'), 0);
      const [first] = await lease(10, 0);
      expect(await lease(10, LEASE - 1)).toEqual([]);
      const [again] = await lease(10, LEASE);
      expect(again?.eventId).toBe('p1-a');
      expect(again?.leaseToken).not.toBe(first?.leaseToken);
    });

    it('ignores a result reported under a lease that expired and was taken over, and resolves false', async () => {
      await record(event('e', '1'), 0);
      const [stale] = (await lease(1, 0)) as [OutboxEvent];
      const [current] = (await lease(1, LEASE)) as [OutboxEvent];
      expect(stale.eventId).toBe(current.eventId);
      expect(await outbox.delivered(stale, attempt(LEASE + 1, 'delivered'))).toBe(false);
      expect(await outbox.retryLater(stale, attempt(LEASE + 1, 'retry'), at(LEASE + 5_000))).toBe(false);
      expect(await outbox.giveUp(stale, attempt(LEASE + 1, 'gone'), 'gone')).toBe(false);
      expect(await outbox.retryLater(current, attempt(LEASE + 2, 'retry'), at(LEASE + 5_000))).toBe(true);
      const [retried] = await lease(1, LEASE + 5_000);
      expect(retried).toMatchObject({ eventId: 'e', attempts: 1, firstAttemptAt: at(LEASE + 2).toISOString() });
    });

    it('accepts a result of an expired lease nobody took over', async () => {
      await record(event('e', '1'), 0);
      const [leased] = (await lease(1, 0)) as [OutboxEvent];
      expect(await outbox.delivered(leased, attempt(LEASE + 10_000, 'delivered'))).toBe(true);
      expect(await lease(1, LEASE + 20_000)).toEqual([]);
    });

    it('accepts one result per lease: a second report under the same lease resolves false', async () => {
      await record(event('e', '1'), 0);
      const [leased] = (await lease(1, 0)) as [OutboxEvent];
      expect(await outbox.retryLater(leased, attempt(0, 'retry'), at(5_000))).toBe(true);
      expect(await outbox.delivered(leased, attempt(1, 'delivered'))).toBe(false);
    });

    it('keeps a retried event until its next attempt, counting attempts and the first attempt time once', async () => {
      await record(event('e', '1'), 0);
      const [first] = (await lease(1, 0)) as [OutboxEvent];
      expect(await outbox.retryLater(first, attempt(0, 'retry'), at(5_000))).toBe(true);
      expect(await lease(1, 4_999)).toEqual([]);
      const [second] = (await lease(1, 5_000)) as [OutboxEvent];
      expect(second).toMatchObject({ attempts: 1, firstAttemptAt: at(0).toISOString() });
      expect(await outbox.retryLater(second, attempt(5_000, 'retry'), at(15_000))).toBe(true);
      const [third] = (await lease(1, 15_000)) as [OutboxEvent];
      expect(third).toMatchObject({ attempts: 2, firstAttemptAt: at(0).toISOString() });
      expect(await outbox.delivered(third, attempt(15_000, 'delivered'))).toBe(true);
      expect(await lease(1, 100_000)).toEqual([]);
    });

    it("holds a payment's later events while an earlier one waits for its retry, and holds no other payment", async () => {
      await record(event('p1-a', '1'), 0);
      await record(event('p1-b', '1'), 0);
      await record(event('p2-a', '2'), 0);
      const [p1a] = (await lease(1, 0)) as [OutboxEvent];
      expect(await outbox.retryLater(p1a, attempt(0, 'retry'), at(5_000))).toBe(true);
      expect(ids(await lease(10, 1_000))).toEqual(['p2-a']);
      const [again] = (await lease(10, 5_000)) as [OutboxEvent];
      expect(again.eventId).toBe('p1-a');
      expect(await outbox.delivered(again, attempt(5_000, 'delivered'))).toBe(true);
      expect(ids(await lease(10, 5_000))).toEqual(['p1-b']);
    });

    it("releases a payment's later events once an earlier one failed or is gone", async () => {
      await record(event('a', '1'), 0);
      await record(event('b', '1'), 0);
      await record(event('c', '1'), 0);
      const [a] = (await lease(10, 0)) as [OutboxEvent];
      expect(await outbox.giveUp(a, attempt(0, 'retry'), 'failed')).toBe(true);
      const [b] = (await lease(10, 0)) as [OutboxEvent];
      expect(b.eventId).toBe('b');
      expect(await outbox.giveUp(b, attempt(0, 'gone'), 'gone')).toBe(true);
      expect(ids(await lease(10, 0))).toEqual(['c']);
    });

    it('orders a retried event by its next attempt time among newly recorded ones', async () => {
      await record(event('retried', '1'), 0);
      const [retried] = (await lease(1, 0)) as [OutboxEvent];
      expect(await outbox.retryLater(retried, attempt(0, 'retry'), at(5_000))).toBe(true);
      await record(event('new-before', '2'), 3_000);
      await record(event('new-after', '3'), 7_000);
      expect(ids(await lease(3, 10_000))).toEqual(['new-before', 'retried', 'new-after']);
    });

    it('tells payments apart by company and number', async () => {
      await record(event('a', '1', COMPANY), 0);
      await record(event('b', '1', OTHER_COMPANY), 0);
      expect(ids(await lease(10, 0))).toEqual(['a', 'b']);
    });
  });
}
