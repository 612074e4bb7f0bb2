import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a callback URL routes: the fields its signature covers. */
export interface CallbackRouting {
  companyId: string;
  bookingId: string;
  articleTypeId: number;
  /** The checkout's orderid, when the URL was issued for one order. */
  orderId?: string;
}

const PURPOSE = 'qvickly-ipn:callbackurl:v1';

/**
 * The callback URL's signature: lowercase hex HMAC-SHA256, keyed with the company's Qvickly
 * secret, of `qvickly-ipn:callbackurl:v1` LF CompanyId (lowercase) LF BookingId LF
 * ArticleTypeId (decimal) LF OrderId (empty if absent), with no trailing LF.
 */
export function signCallbackUrl(secret: string, routing: CallbackRouting): string {
  const text = [PURPOSE, routing.companyId.toLowerCase(), routing.bookingId, String(routing.articleTypeId), routing.orderId ?? ''].join('\n');
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex');
}

/** The index of the first key that signed this routing, or -1; every key is tried, in constant time each. */
export function urlSignedBy(keys: readonly string[], routing: CallbackRouting, signature: string): number {
  const received = Buffer.from(signature.toLowerCase(), 'utf8');
  let found = -1;
  keys.forEach((key, index) => {
    const expected = Buffer.from(signCallbackUrl(key, routing), 'utf8');
    if (found < 0 && received.length === expected.length && timingSafeEqual(received, expected)) found = index;
  });
  return found;
}
