import type { BoundCallback } from './bind';
import { queuedConfirmation } from './confirmation';
import { conflictReported, statusChanged, type ChangeFacts } from './events';
import type { CallbackOutcome } from './outcome';
import type { Delivery, InboxEntry, Payment, PaymentView, Routing, SecretSlot, Settlement } from './ports';
import { categorize, decide } from './status';

/** An authentic callback, ready to be settled against its payment. */
export interface AuthenticCallback {
  callback: BoundCallback;
  fingerprint: string;
  secretUsed: SecretSlot;
  routing: Routing;
  /** The company confirms its payments with Qvickly (it has a merchant id). */
  confirms: boolean;
  delivery: Delivery;
  replayOf: number | null;
}

/** What a settlement means for the caller's answer. */
export interface Verdict {
  outcome: CallbackOutcome;
  number: string;
  status: string;
  /** The payment's status before this callback, when it had one. */
  previousStatus?: string;
  reason?: string;
}

/**
 * Steps 2 to 5 of receiving an authentic callback, on a view of its payment: check the payment
 * is this booking's, classify the status, drop repeats of signed data already received, and
 * apply the status rule. Pure: the store commits the settlement only if the payment has not
 * moved since the view.
 */
export function settleCallback(view: PaymentView, authentic: AuthenticCallback): { settlement: Settlement; verdict: Verdict } {
  const { callback, fingerprint, secretUsed, routing, confirms, delivery, replayOf } = authentic;
  const { payment } = view;
  const { number, status } = callback;
  const entry = (outcome: CallbackOutcome, reason: string | null = null): InboxEntry => ({
    ...delivery,
    companyId: callback.companyId,
    bookingId: callback.bookingId,
    articleTypeId: callback.articleTypeId,
    number,
    status,
    authentic: true,
    outcome,
    reason,
    replayOf,
    duplicateOf: null,
    secretUsed,
    routing,
  });
  const previousStatus = payment?.status;

  if (payment && (payment.bookingId !== callback.bookingId || payment.articleTypeId !== callback.articleTypeId)) {
    const reason = `payment is bound to booking ${payment.bookingId}, article type ${payment.articleTypeId}`;
    return { settlement: { entry: entry('booking_mismatch', reason) }, verdict: { outcome: 'booking_mismatch', number, status, reason } };
  }

  const category = categorize(status);
  if (!category) {
    const reason = `unknown status '${status}'`;
    return { settlement: { entry: entry('unrecognised', reason) }, verdict: { outcome: 'unrecognised', number, status, reason } };
  }

  const firstCopy = view.fingerprints.get(fingerprint);
  if (firstCopy !== undefined) {
    // The first copy holds the body; a repeat keeps only what it was and where the first one is.
    const repeat = firstCopy === null ? entry('duplicate') : { ...entry('duplicate'), query: '', body: Buffer.alloc(0), duplicateOf: firstCopy };
    return { settlement: { entry: repeat }, verdict: { outcome: 'duplicate', number, status, previousStatus } };
  }

  const decision = decide(payment, { status, category }, view.held);
  const settlement: Settlement = {
    entry: entry(decision),
    expectedVersion: view.version,
    fingerprint,
    history: { status, category, outcome: decision, receivedAt: delivery.receivedAt },
  };
  if (decision === 'applied') {
    const state: Payment = {
      companyId: callback.companyId,
      number,
      bookingId: callback.bookingId,
      articleTypeId: callback.articleTypeId,
      orderid: callback.orderid,
      status,
      category,
      url: callback.url,
      routing: routing === 'signed' || payment?.routing === 'signed' ? 'signed' : 'unsigned',
      updatedAt: delivery.receivedAt,
    };
    settlement.payment = { change: payment ? 'update' : 'create', state };
    if (confirms) settlement.confirm = { queuedAt: delivery.receivedAt };
    const facts: ChangeFacts = {
      payment: state,
      before: payment,
      confirmation: confirms ? queuedConfirmation(view.confirmation) : null,
      occurredAt: delivery.receivedAt,
    };
    settlement.events = [statusChanged(facts)];
  } else if (decision === 'conflict' && payment) {
    const facts: ChangeFacts = { payment, before: payment, confirmation: view.confirmation ?? null, occurredAt: delivery.receivedAt };
    settlement.events = [conflictReported(facts, { status, category })];
  }
  return { settlement, verdict: { outcome: decision, number, status, previousStatus } };
}
