import { createHmac, timingSafeEqual } from 'node:crypto';
import { phpJsonReencode } from './php-json';

/** Lowercase hex HMAC-SHA512 of the signed text, keyed with the merchant's Qvickly secret. */
export function signText(secret: string, signedText: string): string {
  return createHmac('sha512', secret).update(signedText, 'utf8').digest('hex');
}

export type SignatureCheck =
  | { valid: true; signedText: string; via: 'as-received' | 'php-reencoded' }
  | { valid: false; reason: 'missing-hash' | 'hash-mismatch' };

/**
 * Qvickly signs PHP's json_encode of `data`. Receivers see that text either exactly (raw JSON
 * body or form field) or after an intermediary re-serialised it, so the exact text is tried
 * first and a PHP-compatible re-encoding second. Either requires the secret.
 */
export function verifySignature(secret: string, hash: string | undefined, dataText: string): SignatureCheck {
  if (!hash) return { valid: false, reason: 'missing-hash' };
  const received = Buffer.from(hash.toLowerCase(), 'utf8');
  if (hashMatches(received, signText(secret, dataText))) {
    return { valid: true, signedText: dataText, via: 'as-received' };
  }
  const reencoded = phpJsonReencode(dataText);
  if (reencoded !== undefined && reencoded !== dataText && hashMatches(received, signText(secret, reencoded))) {
    return { valid: true, signedText: reencoded, via: 'php-reencoded' };
  }
  return { valid: false, reason: 'hash-mismatch' };
}

function hashMatches(received: Buffer, expectedHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'utf8');
  return received.length === expected.length && timingSafeEqual(received, expected);
}
