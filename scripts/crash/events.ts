/**
 * The crash test's event part: every applied, acknowledged callback's `payment.status_changed`
 * event is delivered at least once to the receiver, however often the service was killed, and
 * the first deliveries of each payment's events come in the order they were recorded.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { EventSummary } from '../../src/ipn/outbox-ports';
import type { PaymentWithHistory } from '../../src/ipn/ports';
import type { PaymentStore } from '../../src/store/types';
import type { Delivery, VerifyingReceiver } from '../support/webhook-receiver';

/** The service's event settings for the crash test: quick polls, and leases that a killed instance's events outlive by little. */
export function eventEnvironment(receiver: VerifyingReceiver): Record<string, string> {
  return {
    EVENTS_WEBHOOK_URL: receiver.url,
    EVENTS_WEBHOOK_SECRET: receiver.secret,
    EVENTS_POLL_INTERVAL_MS: '50',
    EVENTS_TIMEOUT_MS: '1500',
    // A killed instance's leased events wait this long for the next one: keep it short.
    EVENTS_LEASE_MS: '3000',
  };
}

/** An acknowledged callback the service answered `applied`. */
export interface AppliedAck {
  number: string;
  status: string;
}

/** What the outbox held after the last kill, and what must reach the receiver. */
export interface OutboxSnapshot {
  /** Every recorded event, oldest first. */
  events: EventSummary[];
  /** Inbox ids of the acknowledged callbacks answered `applied`: each must have its status_changed event delivered. */
  expectedCallbackIds: Set<number>;
  /** Per payment, the inbox ids of its applied history entries, in history order. */
  appliedHistory: Map<string, number[]>;
  /** Acknowledged `applied` callbacks with no applied history entry (reported by the store check too). */
  unmatched: number;
}

export async function snapshotOutbox(store: PaymentStore, companyId: string, numbers: readonly string[], applied: readonly AppliedAck[]): Promise<OutboxSnapshot> {
  // list() is newest first.
  const events = (await store.events.list({ companyId, limit: 10_000_000 })).reverse();
  const payments = new Map<string, PaymentWithHistory>();
  for (const number of numbers) {
    const payment = await store.findPayment(companyId, number);
    if (payment) payments.set(number, payment);
  }
  const appliedHistory = new Map<string, number[]>();
  for (const [number, payment] of payments) {
    appliedHistory.set(
      number,
      payment.history.filter((entry) => entry.outcome === 'applied').map((entry) => entry.callbackId),
    );
  }
  const expectedCallbackIds = new Set<number>();
  let unmatched = 0;
  for (const ack of applied) {
    const entry = payments.get(ack.number)?.history.find((candidate) => candidate.status === ack.status && candidate.outcome === 'applied');
    if (entry) expectedCallbackIds.add(entry.callbackId);
    else unmatched += 1;
  }
  return { events, expectedCallbackIds, appliedHistory, unmatched };
}

/** Waits until every recorded event has reached the receiver, at most `budgetMs`; resolves how long it took. */
export async function waitForDrain(receiver: VerifyingReceiver, snapshot: OutboxSnapshot, budgetMs: number): Promise<{ drained: boolean; ms: number }> {
  const started = Date.now();
  const waitingFor = new Set(snapshot.events.filter((event) => event.state !== 'withheld').map((event) => event.eventId));
  let seen = 0;
  for (;;) {
    for (; seen < receiver.deliveries.length; seen++) waitingFor.delete((receiver.deliveries[seen] as Delivery).eventId);
    if (waitingFor.size === 0) return { drained: true, ms: Date.now() - started };
    if (Date.now() - started > budgetMs) return { drained: false, ms: Date.now() - started };
    await delay(50);
  }
}

export interface EventFigures {
  /** Events in the outbox after the last kill, all types. */
  eventsRecorded: number;
  /** status_changed events that had to arrive: one per acknowledged `applied` callback. */
  eventsExpected: number;
  eventsExpectedDelivered: number;
  /** Distinct events delivered, all types. */
  eventsDelivered: number;
  /** Every 200 the receiver wrote. */
  deliveries: number;
  /** Deliveries of an event already delivered (allowed after a crash). */
  duplicateDeliveries: number;
  /** Events delivered more than once. */
  eventsDeliveredTwiceOrMore: number;
  /** Requests the receiver answered 500 on purpose. */
  refused: number;
  /** From the last restart until every recorded event had arrived. */
  drainMs: number;
  /** The longest time from an event's occurredAt to its first delivery (includes the service's downtime). */
  maxFirstDeliveryLagMs: number;
}

export function checkEvents(receiver: VerifyingReceiver, snapshot: OutboxSnapshot, drainMs: number, violations: string[]): EventFigures {
  const first = new Map<string, { index: number; delivery: Delivery }>();
  receiver.deliveries.forEach((delivery, index) => {
    if (!first.has(delivery.eventId)) first.set(delivery.eventId, { index, delivery });
  });
  for (const bad of receiver.badSignatures.slice(0, 10)) violations.push(`receiver: a request did not verify: ${bad}`);
  if (snapshot.unmatched > 0) violations.push(`${snapshot.unmatched} callbacks answered applied have no applied history entry`);

  // 1. Every acknowledged, applied callback's status_changed event arrived at least once.
  const deliveredCallbackIds = new Map<number, Delivery>();
  for (const { delivery } of first.values()) {
    if (delivery.type === 'payment.status_changed' && delivery.callbackId !== null) deliveredCallbackIds.set(delivery.callbackId, delivery);
  }
  let expectedDelivered = 0;
  const missing: number[] = [];
  for (const callbackId of snapshot.expectedCallbackIds) {
    if (deliveredCallbackIds.has(callbackId)) expectedDelivered += 1;
    else missing.push(callbackId);
  }
  if (missing.length > 0) {
    violations.push(`${missing.length} acknowledged, applied callbacks have no status_changed event delivered, e.g. inbox ids ${missing.slice(0, 10).join(', ')}`);
  }

  // 2. Every recorded event arrived, and nothing arrived that was not recorded.
  const recorded = new Map(snapshot.events.map((event) => [event.eventId, event]));
  const undelivered = snapshot.events.filter((event) => event.state !== 'withheld' && !first.has(event.eventId));
  if (undelivered.length > 0) {
    const sample = undelivered.slice(0, 5).map((event) => `${event.eventId} (${event.type} ${event.number}, ${event.state}, ${event.attempts} attempts)`);
    violations.push(`${undelivered.length} recorded events never arrived, e.g. ${sample.join('; ')}`);
  }
  for (const eventId of first.keys()) {
    if (!recorded.has(eventId)) violations.push(`event ${eventId} arrived but is not in the outbox`);
  }

  // 3. Per payment, first deliveries in recording order (all types), and status_changed in history order.
  const byPayment = new Map<string, EventSummary[]>();
  for (const event of snapshot.events) byPayment.set(event.number, [...(byPayment.get(event.number) ?? []), event]);
  for (const [number, events] of byPayment) {
    let previous: { index: number; eventId: string } | undefined;
    for (const event of events) {
      const arrived = first.get(event.eventId);
      if (!arrived) continue;
      if (previous && arrived.index < previous.index) {
        violations.push(`${number}: event ${event.eventId} (${event.type}) first arrived before ${previous.eventId}, which was recorded before it`);
      }
      previous = { index: arrived.index, eventId: event.eventId };
    }
    const delivered = events
      .filter((event) => event.type === 'payment.status_changed' && first.has(event.eventId))
      .map((event) => first.get(event.eventId)?.delivery.callbackId);
    const history = snapshot.appliedHistory.get(number) ?? [];
    if (JSON.stringify(delivered) !== JSON.stringify(history)) {
      violations.push(`${number}: status_changed events arrived for callbacks ${JSON.stringify(delivered)}, applied history is ${JSON.stringify(history)}`);
    }
  }

  const counts = new Map<string, number>();
  for (const delivery of receiver.deliveries) counts.set(delivery.eventId, (counts.get(delivery.eventId) ?? 0) + 1);
  let maxLag = 0;
  for (const { delivery } of first.values()) maxLag = Math.max(maxLag, delivery.arrivedAtMs - delivery.occurredAtMs);
  return {
    eventsRecorded: snapshot.events.length,
    eventsExpected: snapshot.expectedCallbackIds.size,
    eventsExpectedDelivered: expectedDelivered,
    eventsDelivered: first.size,
    deliveries: receiver.deliveries.length,
    duplicateDeliveries: receiver.deliveries.length - first.size,
    eventsDeliveredTwiceOrMore: [...counts.values()].filter((count) => count > 1).length,
    refused: receiver.refused,
    drainMs,
    maxFirstDeliveryLagMs: maxLag,
  };
}

export function describeEvents(figures: EventFigures): string {
  return (
    `events: ${figures.eventsRecorded} recorded, ${figures.eventsExpected} expected (status_changed of acknowledged applied callbacks), ` +
    `${figures.eventsExpectedDelivered} of them delivered; ${figures.eventsDelivered} distinct events delivered in ${figures.deliveries} deliveries ` +
    `(${figures.duplicateDeliveries} duplicate deliveries of ${figures.eventsDeliveredTwiceOrMore} events), ${figures.refused} answered 500 on purpose; ` +
    `drained ${figures.drainMs} ms after the last restart; longest wait to a first delivery ${figures.maxFirstDeliveryLagMs} ms`
  );
}
