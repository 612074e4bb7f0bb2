import { createHash, randomBytes } from 'node:crypto';
import type { BoundCallback } from './bind';
import type { Company, SecretSlot } from './ports';
import { verifySignature } from './signature';

export type Authentication =
  | { authentic: true; fingerprint: string; secretUsed: SecretSlot }
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

/**
 * Step 1 of receiving a callback: is `data` signed with one of the company's Qvickly secrets?
 * Runs before anything is written, on the CPU only; every refusal does the same work.
 */
export function authenticate(company: Company | undefined, callback: BoundCallback, now: Date): Authentication {
  const check = verifySignature(keysOf(company, now), callback.hash, callback.dataText);
  if (!company) return { authentic: false, reason: 'no Qvickly secret is configured for the company' };
  if (!check.valid) {
    return { authentic: false, reason: check.reason === 'missing-hash' ? 'no credentials.hash' : 'credentials.hash does not match data' };
  }
  return { authentic: true, fingerprint: fingerprintOf(check.signedText), secretUsed: SLOTS[check.keyIndex] ?? 'current' };
}

/** Identifies the signed data: the same data signed again is a repeat, whatever its envelope. */
function fingerprintOf(signedText: string): string {
  return createHash('sha256').update(signedText, 'utf8').digest('hex');
}
