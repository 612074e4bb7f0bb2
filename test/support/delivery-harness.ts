import { eventBody, type EventType } from '../../src/ipn/event-body';
import type { AttemptReport } from '../../src/delivery/dispatcher';
import { retryCeilingMs } from '../../src/delivery/schedule';
import type { EventToRecord, MemoryOutbox } from './memory-outbox';
import type { ManualClock } from './manual-clock';
import type { ReceivedRequest } from './webhook-receiver';

export const SECRET = 'whsec_' + Buffer.from('the booking system shares this key').toString('base64');
export const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

/** An event of payment `number` with a body as the store would record it. */
export function paymentEvent(eventId: string, number: string, occurredAt: Date, type: EventType = 'payment.status_changed'): EventToRecord {
  const body = eventBody(type, {
    eventId,
    companyId: COMPANY,
    bookingId: `booking-${number}`,
    articleTypeId: 1,
    number,
    orderid: `P${number}-1`,
    status: 'Paid',
    category: 'settled',
    previousStatus: 'Created',
    previousCategory: 'accepted',
    routing: 'signed',
    confirmation: null,
    callbackId: 1,
    occurredAt: occurredAt.toISOString(),
  });
  return { eventId, type, companyId: COMPANY, number, body };
}

/** Polls until `condition` holds (every 5 ms, failing after `timeoutMs`): for tests on real timers. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(5);
  }
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the dispatcher round by round on a manual clock: a round that sends nothing moves the
 * clock to the next time something becomes due. Stops when nothing is pending and `more`
 * (called before each round, e.g. to record events or switch the receiver) says it is done.
 */
export async function driveUntilSettled(
  runOnce: () => Promise<AttemptReport[]>,
  outbox: MemoryOutbox,
  clock: ManualClock,
  more: (round: number) => Promise<boolean> = async () => false,
  maxRounds = 20_000,
): Promise<void> {
  for (let round = 0; round < maxRounds; round++) {
    const moreToCome = await more(round);
    const reports = await runOnce();
    if (reports.length > 0) continue;
    const next = outbox.nextChangeAfter(clock.now());
    if (next) clock.set(next);
    else if (outbox.pendingCount() === 0 && !moreToCome) return;
  }
  throw new Error(`still ${outbox.pendingCount()} events pending after ${maxRounds} rounds`);
}

/**
 * Checks that each event's attempts were made exactly when the previous one scheduled them,
 * and that each wait is within the jitter range of the schedule (half to all of the ceiling).
 */
export function expectRetriesOnSchedule(reports: readonly AttemptReport[]): void {
  const byEvent = new Map<string, AttemptReport[]>();
  for (const report of reports) byEvent.set(report.event.eventId, [...(byEvent.get(report.event.eventId) ?? []), report]);
  for (const [eventId, attempts] of byEvent) {
    attempts.forEach((report, index) => {
      const next = attempts[index + 1];
      if (report.outcome !== 'retry') {
        expect({ eventId, index, last: next === undefined }).toEqual({ eventId, index, last: true });
        return;
      }
      const waited = (report.nextAttemptAt?.getTime() ?? Number.NaN) - Date.parse(report.attempt.attemptedAt);
      const ceiling = retryCeilingMs(index + 1);
      expect({ eventId, index, waitedAtLeastHalf: waited >= ceiling / 2, waitedBelowCeiling: waited < ceiling }).toEqual({
        eventId,
        index,
        waitedAtLeastHalf: true,
        waitedBelowCeiling: true,
      });
      expect({ eventId, index, nextAttemptAt: next?.attempt.attemptedAt }).toEqual({
        eventId,
        index,
        nextAttemptAt: report.nextAttemptAt?.toISOString(),
      });
    });
  }
}

/** Per payment, the ids of `requests` in arrival order. */
export function byPayment(requests: readonly ReceivedRequest[], paymentOf: (eventId: string) => string): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const request of requests) {
    const payment = paymentOf(request.eventId);
    grouped.set(payment, [...(grouped.get(payment) ?? []), request.eventId]);
  }
  return grouped;
}
