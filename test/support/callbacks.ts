import { randomUUID } from 'node:crypto';
import { generateTestCallback } from '../../src/client/sign';
import type { CallbackUrlPolicy } from '../../src/ipn/ports';
import type { PaymentStore } from '../../src/store/types';

export interface Merchant {
  companyId: string;
  secret: string;
}

/**
 * A company with a configured Qvickly secret; new companies take signed callback URLs only,
 * `callbackUrls: 'any'` makes one from before signed URLs.
 */
export async function aMerchant(
  store: PaymentStore,
  secret = `secret-${randomUUID()}`,
  options: { callbackUrls?: CallbackUrlPolicy } = {},
): Promise<Merchant> {
  const merchant = { companyId: randomUUID(), secret };
  await store.changeCompany({ companyId: merchant.companyId, secret: merchant.secret, callbackUrls: options.callbackUrls, now: new Date().toISOString() });
  return merchant;
}

export interface CallbackSpec {
  merchant: Merchant;
  number?: string;
  status?: string;
  bookingId?: string;
  articleTypeId?: number;
  data?: Record<string, unknown> | string;
  encoding?: 'json' | 'form';
  /** Sign the callback URL (default true), optionally for one orderid. */
  signUrl?: boolean;
  orderId?: string;
  /** Route suffix such as '.xml'. */
  suffix?: string;
  accept?: string;
}

/** A signed callback request as Qvickly sends it, as fetch() options plus the path. */
export function aCallback(spec: CallbackSpec): { path: string; init: RequestInit } {
  const data = spec.data ?? {
    number: spec.number ?? '810652',
    status: spec.status ?? 'Paid',
    orderid: 'P123',
    url: '',
  };
  const request = generateTestCallback({
    secret: spec.merchant.secret,
    companyId: spec.merchant.companyId,
    bookingId: spec.bookingId ?? 'booking-1',
    articleTypeId: spec.articleTypeId ?? 1,
    data,
    encoding: spec.encoding,
    signUrl: spec.signUrl,
    orderId: spec.orderId,
  });
  const path = spec.suffix ? request.path.replace('?', `${spec.suffix}?`) : request.path;
  const headers: Record<string, string> = { ...request.headers };
  if (spec.accept) headers.Accept = spec.accept;
  return { path, init: { method: 'POST', headers, body: request.body } };
}
