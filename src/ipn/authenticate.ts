import { createHash, randomBytes } from 'node:crypto';
import type { BoundCallback } from './bind';
import type { CompanyKeys } from './ports';
import { verifySignature } from './signature';

export type Authentication =
  | { authentic: true; fingerprint: string }
  | { authentic: false; reason: string };

// Stand-ins for a company without secrets: the refusal then costs what a wrong hash costs for a
// company with them, so its timing tells nobody which companies are configured.
const STAND_IN_KEYS = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];

/**
 * Step 1 of receiving a callback: is `data` signed with the company's Qvickly secret? Runs
 * before anything is written, on the CPU only; every refusal does the same work.
 */
export function authenticate(company: CompanyKeys | undefined, callback: BoundCallback): Authentication {
  const keys = company ? [company.secret, ...STAND_IN_KEYS.slice(1)] : STAND_IN_KEYS;
  const check = verifySignature(keys, callback.hash, callback.dataText);
  if (!company) return { authentic: false, reason: 'no Qvickly secret is configured for the company' };
  if (!check.valid) {
    return { authentic: false, reason: check.reason === 'missing-hash' ? 'no credentials.hash' : 'credentials.hash does not match data' };
  }
  return { authentic: true, fingerprint: fingerprintOf(check.signedText) };
}

/** Identifies the signed data: the same data signed again is a repeat, whatever its envelope. */
function fingerprintOf(signedText: string): string {
  return createHash('sha256').update(signedText, 'utf8').digest('hex');
}
