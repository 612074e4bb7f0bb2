import { randomUUID } from 'node:crypto';
import type { Confirmation } from './confirmation';
import type { EventDraft, Payment } from './ports';
import type { PaymentCategory } from './status';

/** The categories a booking may act on as paid or refunded: never on an unconfirmed claim. */
const NEEDS_CONFIRMATION: readonly PaymentCategory[] = ['settled', 'refunded'];

export interface ChangeFacts {
  /** The payment after the change (for a conflict: as it stays). */
  payment: Payment;
  /** The payment before the change, when it existed. */
  before: Payment | undefined;
  /** The payment's confirmation after the change, when its company confirms with Qvickly. */
  confirmation: Confirmation | null;
  occurredAt: string;
}

function dataOf(facts: ChangeFacts, shown: { status: string; category: PaymentCategory }, previous: Payment | undefined): EventDraft['data'] {
  const { payment } = facts;
  return {
    eventId: randomUUID(),
    companyId: payment.companyId,
    bookingId: payment.bookingId,
    articleTypeId: payment.articleTypeId,
    number: payment.number,
    orderid: payment.orderid,
    status: shown.status,
    category: shown.category,
    previousStatus: previous?.status ?? null,
    previousCategory: previous?.category ?? null,
    routing: payment.routing,
    confirmation: facts.confirmation,
    occurredAt: facts.occurredAt,
  };
}

/**
 * A callback was applied: `payment.status_changed`, held for the confirmation when the company
 * confirms with Qvickly and the payment moved into settled or refunded.
 */
export function statusChanged(facts: ChangeFacts): EventDraft {
  const held = facts.confirmation !== null && NEEDS_CONFIRMATION.includes(facts.payment.category);
  return { type: 'payment.status_changed', held, data: dataOf(facts, facts.payment, facts.before) };
}

/** News after the payment ended, kept for review: `payment.conflict` with the status that was not applied. */
export function conflictReported(facts: ChangeFacts, late: { status: string; category: PaymentCategory }): EventDraft {
  return { type: 'payment.conflict', held: false, data: dataOf(facts, late, facts.payment) };
}

/** The confirmation changed state: `payment.confirmation_changed`, the payment as it stands. */
export function confirmationChanged(facts: ChangeFacts): EventDraft {
  return { type: 'payment.confirmation_changed', held: false, data: dataOf(facts, facts.payment, facts.payment) };
}
