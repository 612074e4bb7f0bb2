import { createHmac, timingSafeEqual } from 'node:crypto';
import { phpJsonReencode } from './php-json';

/** Lowercase hex HMAC-SHA512 of the signed text, keyed with the merchant's Qvickly secret. */
export function signText(secret: string, signedText: string): string {
  return createHmac('sha512', secret).update(signedText, 'utf8').digest('hex');
}

export type SignatureCheck =
  | { valid: true; signedText: string; keyIndex: number }
  | { valid: false; reason: 'missing-hash' | 'hash-mismatch' };

/**
 * Qvickly signs PHP's json_encode of `data`. Receivers see that text either exactly (raw JSON
 * body or form field) or after an intermediary re-serialised it, so the exact text is tried
 * first and a PHP-compatible re-encoding second, each with every key given. A hash that matches
 * none costs the same work whichever keys they are, so the time of a refusal says nothing about
 * the company (callers pass a stand-in key for a company without secrets).
 */
export function verifySignature(secrets: readonly string[], hash: string | undefined, dataText: string): SignatureCheck {
  if (!hash) return { valid: false, reason: 'missing-hash' };
  const received = Buffer.from(hash.toLowerCase(), 'utf8');
  const matching = (signedText: string): number => secrets.findIndex((secret) => hashMatches(received, signText(secret, signedText)));
  const asReceived = matching(dataText);
  if (asReceived >= 0) return { valid: true, signedText: dataText, keyIndex: asReceived };
  const reencoded = phpJsonReencode(dataText);
  if (reencoded !== undefined && reencoded !== dataText) {
    const afterReencoding = matching(reencoded);
    if (afterReencoding >= 0) return { valid: true, signedText: reencoded, keyIndex: afterReencoding };
  }
  return { valid: false, reason: 'hash-mismatch' };
}

function hashMatches(received: Buffer, expectedHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'utf8');
  return received.length === expected.length && timingSafeEqual(received, expected);
}
