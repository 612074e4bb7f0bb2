import { createHash, randomBytes } from 'node:crypto';
import type { BoundCallback } from './bind';
import { urlSignedBy } from './callback-url';
import type { Company, Routing, SecretSlot } from './ports';
import { verifySignature } from './signature';

export type Authentication =
  | { authentic: true; fingerprint: string; secretUsed: SecretSlot; routing: Routing }
  | { authentic: false; reason: string };

// Stand-ins for a company without secrets: the refusal then costs what a wrong hash costs for a
// company with them, so its timing tells nobody which companies are configured.
const STAND_IN_KEYS = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];

/** The company's secrets in slot order: current, then the previous one until it expires. */
function keysOf(company: Company | undefined, now: Date): string[] {
  if (!company) return STAND_IN_KEYS;
  const previous = company.previous && Date.parse(company.previous.expiresAt) > now.getTime() ? company.previous.secret : STAND_IN_KEYS[1];
  return [company.secret, previous ?? ''];
}

const SLOTS: readonly SecretSlot[] = ['current', 'previous'];

/** Whether the callback URL's signature is there, and whether one of the keys made it. */
function checkUrl(keys: readonly string[], callback: BoundCallback): 'missing' | 'wrong' | 'signed' {
  if (callback.urlSignature === undefined) return 'missing';
  const routing = { companyId: callback.companyId, bookingId: callback.bookingId, articleTypeId: callback.articleTypeId, orderId: callback.urlOrderId };
  return urlSignedBy(keys, routing, callback.urlSignature) >= 0 ? 'signed' : 'wrong';
}

/**
 * Step 1 of receiving a callback: is `data` signed with one of the company's Qvickly secrets,
 * and is the URL that routes it to a booking signed as the company requires? Runs before
 * anything is written, on the CPU only; every refusal does the same work.
 */
export function authenticate(company: Company | undefined, callback: BoundCallback, now: Date): Authentication {
  const keys = keysOf(company, now);
  const data = verifySignature(keys, callback.hash, callback.dataText);
  const url = checkUrl(keys, callback);
  if (!company) return { authentic: false, reason: 'no Qvickly secret is configured for the company' };
  if (!data.valid) {
    return { authentic: false, reason: data.reason === 'missing-hash' ? 'no credentials.hash' : 'credentials.hash does not match data' };
  }
  if (url === 'wrong') return { authentic: false, reason: 'the callback URL signature does not match' };
  if (url === 'missing' && company.callbackUrls === 'signed') return { authentic: false, reason: 'the callback URL is not signed' };
  if (url === 'signed' && callback.urlOrderId !== undefined && callback.urlOrderId !== callback.orderid) {
    return { authentic: false, reason: "data.orderid is not the callback URL's signed OrderId" };
  }
  return {
    authentic: true,
    fingerprint: fingerprintOf(data.signedText),
    secretUsed: SLOTS[data.keyIndex] ?? 'current',
    routing: url === 'signed' ? 'signed' : 'unsigned',
  };
}

/** Identifies the signed data: the same data signed again is a repeat, whatever its envelope. */
function fingerprintOf(signedText: string): string {
  return createHash('sha256').update(signedText, 'utf8').digest('hex');
}
