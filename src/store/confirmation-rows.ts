import type { ConfirmationBacklog, ConfirmationCheck, ConfirmationRecord } from '../ipn/confirmation-ports';
import type { Sealer } from '../secrets/sealer';
import { openCompany, toCompanyRecord } from './companies';
import { toConfirmation, toPayment, type Row } from './rows';

/**
 * A leased check's columns (a confirmation, its company and its payment, and the applied
 * callback being confirmed), in SQL both engines run. `cf`, `c` and `p` must be in scope.
 */
export const CHECK_COLUMNS = `
  cf.company_id, cf.number, cf.state, cf.generation, cf.queued_at, cf.attempts, cf.lease_token,
  cf.qvickly_status, cf.orderid, cf.currency, cf.amount, cf.related_number, cf.checked_at, cf.error_code, cf.error_message,
  c.secret, c.secret_key_id, c.previous_secret, c.previous_secret_expires_at, c.merchant_id, c.qvickly_test, c.callback_urls,
  c.created_at AS company_created_at, c.updated_at AS company_updated_at,
  p.booking_id, p.article_type_id, p.orderid AS payment_orderid, p.status AS payment_status, p.category AS payment_category,
  p.url AS payment_url, p.routing AS payment_routing, p.updated_at AS payment_updated_at,
  (SELECT MAX(h.callback_id) FROM payment_history h
   WHERE h.company_id = cf.company_id AND h.number = cf.number AND h.outcome = 'applied') AS applied_callback_id`;

/** One payment's check, by key. */
export const CHECK_OF_PAYMENT = (companyParameter: string, numberParameter: string): string => `
  SELECT ${CHECK_COLUMNS}
  FROM confirmations cf
  JOIN companies c ON c.company_id = cf.company_id
  JOIN payments p ON p.company_id = cf.company_id AND p.number = cf.number
  WHERE cf.company_id = ${companyParameter} AND cf.number = ${numberParameter}`;

const iso = (value: unknown): string => new Date(String(value)).toISOString();

/** A row of CHECK_COLUMNS as the domain sees it, the company's secret opened. */
export function toConfirmationCheck(row: Row, sealer: Sealer): ConfirmationCheck {
  const company = openCompany(
    toCompanyRecord({ ...row, created_at: row.company_created_at, updated_at: row.company_updated_at }),
    sealer,
  );
  const known = toConfirmation(row);
  if (!known || company.merchantId === null) throw new Error(`confirmation of payment ${String(row.number)} cannot be checked`);
  return {
    lease: { companyId: String(row.company_id), number: String(row.number), generation: Number(row.generation), leaseToken: String(row.lease_token) },
    account: { merchantId: company.merchantId, secret: company.secret, test: company.test },
    payment: toPayment({
      ...row,
      orderid: row.payment_orderid,
      status: row.payment_status,
      category: row.payment_category,
      url: row.payment_url,
      routing: row.payment_routing,
      updated_at: iso(row.payment_updated_at),
    }),
    known,
    queuedAt: iso(row.queued_at),
    callbackId: row.applied_callback_id === null || row.applied_callback_id === undefined ? null : Number(row.applied_callback_id),
  };
}

/** The named values of a check's result, for either engine's UPDATE. */
export function recordValues({ lease, confirmation, nextCheckAt }: ConfirmationRecord) {
  return {
    companyId: lease.companyId,
    number: lease.number,
    generation: lease.generation,
    leaseToken: lease.leaseToken,
    state: confirmation.state,
    nextCheckAt,
    attempts: confirmation.attempts,
    qvicklyStatus: confirmation.qvicklyStatus,
    orderid: confirmation.orderid,
    currency: confirmation.currency,
    amount: confirmation.amount,
    relatedNumber: confirmation.relatedNumber,
    checkedAt: confirmation.checkedAt,
    errorCode: confirmation.error?.code ?? null,
    errorMessage: confirmation.error?.message ?? null,
  };
}

export function toBacklog(row: Row | undefined): ConfirmationBacklog {
  const oldest = row?.oldest_due_at;
  return {
    pending: Number(row?.pending ?? 0),
    due: Number(row?.due ?? 0),
    oldestDueAt: oldest === null || oldest === undefined ? null : iso(oldest),
  };
}
