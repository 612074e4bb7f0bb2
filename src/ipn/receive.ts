import { createHash } from 'node:crypto';
import type { components } from '../../generated/openapi';
import type { CallbackTransaction, Delivery, InboxEntry, PaymentStore } from '../store/types';
import type { CallbackOutcome, CallbackResult } from './outcome';
import { verifySignature } from './signature';
import { categorize, decide } from './status';

export type CallbackData = components['schemas']['QvicklyIpnCallbackResponseData'];

/** A callback after binding and validation: what it claims, and the text its signature covers. */
export interface BoundCallback {
  companyId: string;
  bookingId: string;
  articleTypeId: number;
  data: CallbackData;
  /** The text of `data` exactly as received (JSON span or decoded form field). */
  dataText: string;
  hash: string | undefined;
}

/**
 * The IPN use case: authenticate the callback with its company's secret, check the payment
 * is this booking's, drop exact repeats, apply the status rule, and record all of it in one
 * durable transaction. Resolves only after the commit, so an answer never outruns the store.
 */
export async function receiveCallback(
  store: PaymentStore,
  callback: BoundCallback,
  delivery: Delivery,
  replayOf: number | null = null,
): Promise<CallbackResult> {
  const { companyId, bookingId, articleTypeId, data } = callback;
  const number = String(data.number);
  const status = data.status;

  return store.inTransaction(async (tx) => {
    const finish = async (
      outcome: CallbackOutcome,
      authentic: boolean,
      extra: Partial<CallbackResult> = {},
    ): Promise<CallbackResult> => {
      const entry: InboxEntry = {
        ...delivery,
        companyId,
        bookingId,
        articleTypeId,
        number,
        status,
        authentic,
        outcome,
        reason: extra.reason ?? null,
        replayOf,
      };
      const callbackId = await tx.recordCallback(entry);
      return { outcome, callbackId, number, status, ...extra };
    };

    const secret = await tx.findSecret(companyId);
    if (secret === undefined) {
      return finish('unauthenticated', false, { reason: 'no Qvickly secret is configured for the company' });
    }
    const signature = verifySignature(secret, callback.hash, callback.dataText);
    if (!signature.valid) {
      const reason = signature.reason === 'missing-hash' ? 'no credentials.hash' : 'credentials.hash does not match data';
      return finish('unauthenticated', false, { reason });
    }

    const payment = await tx.lockPayment(companyId, number);
    if (payment && (payment.bookingId !== bookingId || payment.articleTypeId !== articleTypeId)) {
      return finish('booking_mismatch', true, {
        reason: `payment is bound to booking ${payment.bookingId}, article type ${payment.articleTypeId}`,
      });
    }

    const category = categorize(status);
    if (!category) return finish('unrecognised', true, { reason: `unknown status '${status}'` });

    if (!(await tx.claimFingerprint(companyId, number, fingerprint(signature.signedText)))) {
      return finish('duplicate', true, { previousStatus: payment?.status });
    }

    const decision = decide(payment, { status, category });
    const result = await finish(decision, true, { previousStatus: payment?.status });
    if (decision === 'applied') {
      await tx.savePayment(
        {
          companyId,
          number,
          bookingId,
          articleTypeId,
          orderid: typeof data.orderid === 'string' ? data.orderid : null,
          status,
          category,
          url: typeof data.url === 'string' ? data.url : null,
          updatedAt: delivery.receivedAt,
        },
        payment === undefined,
      );
    }
    await tx.appendHistory(companyId, number, {
      status,
      category,
      outcome: decision,
      callbackId: result.callbackId,
      receivedAt: delivery.receivedAt,
    });
    return result;
  });
}

/** What is known of a callback that could not be bound, for its inbox row. */
export interface UnboundClaims {
  companyId: string | null;
  bookingId: string | null;
  articleTypeId: number | null;
  number: string | null;
  status: string | null;
}

/** Records a callback refused before authentication (it could not be bound or validated). */
export async function recordInvalidCallback(
  store: PaymentStore,
  delivery: Delivery,
  claims: UnboundClaims,
  reason: string,
): Promise<CallbackResult> {
  const callbackId = await store.inTransaction((tx) =>
    tx.recordCallback({ ...delivery, ...claims, authentic: false, outcome: 'invalid', reason, replayOf: null }),
  );
  return { outcome: 'invalid', callbackId, reason };
}

function fingerprint(signedText: string): string {
  return createHash('sha256').update(signedText, 'utf8').digest('hex');
}
