import type { CallbackOutcome } from '../ipn/outcome';
import type { PaymentCategory } from '../ipn/status';
import type { HistoryEntry, InboxEntry, Payment, StoredCallback } from './types';

/** Column values as both engines return them (SQLite: 0/1 and text; PostgreSQL: booleans). */
type Row = Record<string, unknown>;

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const integer = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

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
    query: String(row.query),
    body: Buffer.from(row.body as Uint8Array),
    remoteAddress: text(row.remote_address),
    authentic: Boolean(row.authentic),
    outcome: row.outcome as CallbackOutcome,
    reason: text(row.reason),
    replayOf: integer(row.replay_of),
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
  'query',
  'body',
  'remote_address',
  'authentic',
  'outcome',
  'reason',
  'replay_of',
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
    entry.query,
    entry.body,
    entry.remoteAddress,
    authentic,
    entry.outcome,
    entry.reason,
    entry.replayOf,
  ];
}
