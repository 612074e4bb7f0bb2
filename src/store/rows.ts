import type { Confirmation } from '../ipn/confirmation';
import type { EventDraft } from '../ipn/ports';
import type { CallbackOutcome } from '../ipn/outcome';
import type { HistoryEntry, InboxEntry, Payment, StoredCallback } from '../ipn/ports';
import type { PaymentCategory } from '../ipn/status';

/** Column values as both engines return them (SQLite: 0/1 and text; PostgreSQL: booleans). */
export type Row = Record<string, unknown>;

/** A nullable column as text or a number (SQLite and PostgreSQL both return null for SQL NULL). */
export const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
export const integer = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function toPayment(row: Row): Payment {
  return {
    companyId: String(row.company_id),
    number: String(row.number),
    bookingId: String(row.booking_id),
    articleTypeId: Number(row.article_type_id),
    orderid: text(row.orderid),
    status: String(row.status),
    category: row.category as PaymentCategory,
    url: text(row.url),
    routing: row.routing === 'signed' ? 'signed' : 'unsigned',
    updatedAt: String(row.updated_at),
  };
}

export function toHistoryEntry(row: Row): HistoryEntry {
  return {
    status: String(row.status),
    category: row.category as PaymentCategory,
    outcome: row.outcome as HistoryEntry['outcome'],
    callbackId: Number(row.callback_id),
    receivedAt: String(row.received_at),
  };
}

export function toStoredCallback(row: Row): StoredCallback {
  return {
    callbackId: Number(row.callback_id),
    receivedAt: String(row.received_at),
    companyId: text(row.company_id),
    bookingId: text(row.booking_id),
    articleTypeId: integer(row.article_type_id),
    number: text(row.number),
    status: text(row.status),
    contentType: text(row.content_type),
    contentEncoding: text(row.content_encoding),
    query: String(row.query),
    body: Buffer.from(row.body as Uint8Array),
    remoteAddress: text(row.remote_address),
    authentic: Boolean(row.authentic),
    outcome: row.outcome as CallbackOutcome,
    reason: text(row.reason),
    replayOf: integer(row.replay_of),
    duplicateOf: integer(row.duplicate_of),
    secretUsed: text(row.secret_used) as StoredCallback['secretUsed'],
    routing: text(row.routing) as StoredCallback['routing'],
  };
}

/** The inbox columns in insert order, shared by both engines' INSERT statements. */
export const CALLBACK_COLUMNS = [
  'received_at',
  'company_id',
  'booking_id',
  'article_type_id',
  'number',
  'status',
  'content_type',
  'content_encoding',
  'query',
  'body',
  'remote_address',
  'authentic',
  'outcome',
  'reason',
  'replay_of',
  'duplicate_of',
  'secret_used',
  'routing',
] as const;

export function callbackValues(entry: InboxEntry, authentic: unknown): unknown[] {
  return [
    entry.receivedAt,
    entry.companyId,
    entry.bookingId,
    entry.articleTypeId,
    entry.number,
    entry.status,
    entry.contentType,
    entry.contentEncoding,
    entry.query,
    entry.body,
    entry.remoteAddress,
    authentic,
    entry.outcome,
    entry.reason,
    entry.replayOf,
    entry.duplicateOf,
    entry.secretUsed,
    entry.routing,
  ];
}

/** The fingerprints of a payment's signed data, each with its first copy (null for rows from before it was kept). */
export function toFingerprints(rows: Row[]): Map<string, number | null> {
  return new Map(rows.map((row) => [String(row.fingerprint), integer(row.callback_id)]));
}

/** A confirmations row as the domain sees it (undefined: the payment has none). */
export function toConfirmation(row: Row | null | undefined): Confirmation | undefined {
  if (!row) return undefined;
  const code = text(row.error_code);
  return {
    state: row.state as Confirmation['state'],
    qvicklyStatus: text(row.qvickly_status),
    orderid: text(row.orderid),
    currency: text(row.currency),
    amount: text(row.amount),
    relatedNumber: text(row.related_number),
    checkedAt: row.checked_at === null || row.checked_at === undefined ? null : new Date(String(row.checked_at)).toISOString(),
    attempts: Number(row.attempts ?? 0),
    error: code === null ? null : { code, message: text(row.error_message) ?? '' },
  };
}

/** The payment_events columns of an event draft, in insert order (callback_id filled by the store). */
export const EVENT_COLUMNS = [
  'event_id',
  'type',
  'state',
  'company_id',
  'number',
  'booking_id',
  'article_type_id',
  'orderid',
  'status',
  'category',
  'previous_status',
  'previous_category',
  'routing',
  'confirmation',
  'callback_id',
  'occurred_at',
  'next_attempt_at',
] as const;

export function eventValues(draft: EventDraft, callbackId: number | null): unknown[] {
  const { data } = draft;
  return [
    data.eventId,
    draft.type,
    draft.held ? 'held' : 'pending',
    data.companyId,
    data.number,
    data.bookingId,
    data.articleTypeId,
    data.orderid,
    data.status,
    data.category,
    data.previousStatus,
    data.previousCategory,
    data.routing,
    data.confirmation === null ? null : JSON.stringify(data.confirmation),
    callbackId,
    data.occurredAt,
    data.occurredAt,
  ];
}
