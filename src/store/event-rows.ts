import { eventBody, type Confirmation, type EventType, type PaymentCategory } from '../ipn/event-body';
import {
  EVENT_STATES,
  type AttemptRecord,
  type EventBacklog,
  type EventDetail,
  type EventState,
  type EventSummary,
  type OutboxEvent,
  type Verdict,
} from '../ipn/outbox-ports';
import { integer, text, type Row } from './rows';

/**
 * The exact body of a payment_events row. The row keeps the event's fields, not its text:
 * eventBody is deterministic, so every attempt sends the same bytes, and a held event's body
 * carries the confirmation that released it.
 */
export function bodyOf(row: Row): string {
  const confirmation = text(row.confirmation);
  return eventBody(row.type as EventType, {
    eventId: String(row.event_id),
    companyId: String(row.company_id),
    bookingId: String(row.booking_id),
    articleTypeId: Number(row.article_type_id),
    number: String(row.number),
    orderid: text(row.orderid),
    status: String(row.status),
    category: row.category as PaymentCategory,
    previousStatus: text(row.previous_status),
    previousCategory: text(row.previous_category) as PaymentCategory | null,
    routing: row.routing === 'signed' ? 'signed' : 'unsigned',
    confirmation: confirmation === null ? null : (JSON.parse(confirmation) as Confirmation),
    callbackId: integer(row.callback_id),
    occurredAt: String(row.occurred_at),
  });
}

export function toOutboxEvent(row: Row): OutboxEvent {
  return {
    eventId: String(row.event_id),
    type: row.type as EventType,
    companyId: String(row.company_id),
    number: String(row.number),
    body: bodyOf(row),
    attempts: Number(row.attempts),
    createdAt: String(row.occurred_at),
    firstAttemptAt: text(row.first_attempt_at),
    leaseToken: String(row.lease_token),
  };
}

export function toEventSummary(row: Row): EventSummary {
  const state = row.state as EventState;
  return {
    eventId: String(row.event_id),
    type: row.type as EventType,
    state,
    companyId: String(row.company_id),
    number: String(row.number),
    bookingId: String(row.booking_id),
    status: String(row.status),
    occurredAt: String(row.occurred_at),
    attempts: Number(row.attempts),
    nextAttemptAt: state === 'pending' ? text(row.next_attempt_at) : null,
    settledAt: text(row.settled_at),
    lastError: text(row.last_error),
  };
}

function toAttempt(row: Row): AttemptRecord {
  return {
    attemptedAt: String(row.attempted_at),
    statusCode: integer(row.status_code),
    durationMs: Number(row.duration_ms),
    error: text(row.error),
    verdict: row.verdict as Verdict,
  };
}

export function toEventDetail(row: Row, attempts: Row[]): EventDetail {
  return { ...toEventSummary(row), body: bodyOf(row), attemptLog: attempts.map(toAttempt) };
}

/** What an attempt left as the event's last error (null once delivered). */
export function lastErrorOf(attempt: AttemptRecord): string | null {
  if (attempt.verdict === 'delivered') return null;
  return attempt.error ?? `HTTP ${attempt.statusCode ?? '-'}`;
}

/** The values of an event_attempts row, in column order (ATTEMPT_COLUMNS). */
export const ATTEMPT_COLUMNS = ['event_id', 'attempted_at', 'status_code', 'duration_ms', 'error', 'verdict'] as const;
export function attemptValues(eventId: string, attempt: AttemptRecord): unknown[] {
  return [eventId, attempt.attemptedAt, attempt.statusCode, attempt.durationMs, attempt.error, attempt.verdict];
}

/** Counts per state (rows of `state, count`) and the oldest pending time, as /metrics shows them. */
export function toEventBacklog(counts: Row[], oldestPendingAt: unknown): EventBacklog {
  const byState = Object.fromEntries(EVENT_STATES.map((state) => [state, 0])) as Record<EventState, number>;
  for (const row of counts) byState[row.state as EventState] = Number(row.count);
  return { byState, oldestPendingAt: text(oldestPendingAt) };
}

/** Which events a payment's later ones wait for: still to be sent. */
export const BLOCKING_STATES = `('pending', 'held')`;
/** Which events an operator may send again. */
export const RESENDABLE_STATES = `('delivered', 'failed', 'gone')`;
