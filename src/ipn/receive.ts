import { authenticate } from './authenticate';
import type { BoundCallback } from './bind';
import type { Refusal } from './decode';
import type { CallbackOutcome, CallbackResult } from './outcome';
import { StoreUnavailableError, VIEW_CHANGED, type CallbackClaims, type CallbackStore, type Delivery } from './ports';
import { settleCallback } from './settle';

// Each attempt follows a concurrent change to the same payment; that many in a row means the
// store is not settling, and the caller is better served by a 503 and Qvickly's retry.
const MAX_SETTLE_ATTEMPTS = 25;
const MAX_REASON = 1000;

/**
 * The IPN use case, as a story: read the company's keys and the payment; authenticate the
 * callback before anything is written; then check the booking, classify, dedupe and apply on
 * that view (settleCallback), and commit it all in one durable write, which the store refuses
 * if the payment moved since the view, in which case it is decided again. Resolves only after
 * the commit, so an answer never outruns the store.
 */
export async function receiveCallback(
  store: CallbackStore,
  callback: BoundCallback,
  delivery: Delivery,
  replayOf: number | null = null,
): Promise<CallbackResult> {
  let view = await store.viewCallback(callback.companyId, callback.number);
  const authentication = authenticate(view.company, callback, new Date(delivery.receivedAt));
  if (!authentication.authentic) {
    const { companyId, bookingId, articleTypeId, number, status } = callback;
    const claims = { companyId, bookingId, articleTypeId, number, status };
    return recordRejection(store, delivery, claims, 'unauthenticated', authentication.reason, replayOf, { number, status });
  }
  const { fingerprint, secretUsed, routing } = authentication;
  const confirms = view.company?.merchantId !== null && view.company?.merchantId !== undefined;
  const authentic = { callback, fingerprint, secretUsed, routing, confirms, delivery, replayOf };
  for (let attempt = 1; ; attempt++) {
    const { settlement, verdict } = settleCallback(view.payment, authentic);
    const callbackId = await store.settle(settlement);
    if (callbackId !== VIEW_CHANGED) return { ...verdict, callbackId };
    if (attempt === MAX_SETTLE_ATTEMPTS) throw new StoreUnavailableError(`payment ${callback.number} kept changing while settling`);
    view = await store.viewCallback(callback.companyId, callback.number);
  }
}

const OUTCOME_OF_REFUSAL: Record<Refusal['kind'], CallbackOutcome> = {
  unsupported: 'unsupported',
  undeserializable: 'undeserializable',
  invalid: 'invalid',
};

/** Records a delivery that could not be decoded into a callback, before it is answered. */
export function recordRefusal(
  store: CallbackStore,
  delivery: Delivery,
  refusal: Refusal,
  claims: CallbackClaims,
  replayOf: number | null = null,
): Promise<CallbackResult> {
  return recordRejection(store, delivery, claims, OUTCOME_OF_REFUSAL[refusal.kind], reasonOf(refusal), replayOf);
}

function reasonOf(refusal: Refusal): string {
  switch (refusal.kind) {
    case 'unsupported':
      return refusal.reason;
    case 'undeserializable':
      return refusal.detail.slice(0, MAX_REASON);
    case 'invalid':
      return refusal.errors.map((error) => error.Message).join('; ').slice(0, MAX_REASON);
  }
}

async function recordRejection(
  store: CallbackStore,
  delivery: Delivery,
  claims: CallbackClaims,
  outcome: CallbackOutcome,
  reason: string,
  replayOf: number | null,
  about: { number?: string; status?: string } = {},
): Promise<CallbackResult> {
  const entry = { ...delivery, ...claims, authentic: false, outcome, reason, replayOf, duplicateOf: null, secretUsed: null, routing: null };
  const callbackId = await store.settle({ entry });
  if (callbackId === VIEW_CHANGED) throw new StoreUnavailableError('a refusal cannot depend on a view');
  return { outcome, callbackId, reason, ...about };
}
