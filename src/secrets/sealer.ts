import { keyId } from './key-file';
import { openSecret, sealSecret } from './secret-box';

/** Seals and opens companies' secrets with one key; the context is the company id. */
export interface Sealer {
  /** Names the key without revealing it (first 8 hex of its SHA-256). */
  readonly keyId: string;
  seal(companyId: string, secret: string): string;
  open(companyId: string, sealed: string): string;
}

export function sealerFor(key: Buffer): Sealer {
  return {
    keyId: keyId(key),
    seal: (companyId, secret) => sealSecret(key, secret, companyId),
    open: (companyId, sealed) => openSecret(key, sealed, companyId),
  };
}
