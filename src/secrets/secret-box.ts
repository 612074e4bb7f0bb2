import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Companies' Qvickly secrets at rest: AES-256-GCM, one random 96-bit IV per seal, and the
 * row's context (the company id) as additional authenticated data, so a sealed value copied
 * to another company's row does not open there.
 *
 * Sealed text: `v1.<iv>.<tag>.<ciphertext>`, each part unpadded base64url (IV 12 bytes,
 * tag 16 bytes, ciphertext as long as the secret's UTF-8 bytes). The version is authenticated
 * too (it is part of the AAD), so a value cannot be relabelled as another format.
 */

export const SECRET_KEY_BYTES = 32;
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

export type SecretUnreadableReason = 'malformed' | 'unsupported-version' | 'not-authentic';

/**
 * A stored secret that cannot be turned back into the company's Qvickly secret. The message
 * never contains the sealed value or any part of the secret.
 */
export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
  constructor(
    readonly reason: SecretUnreadableReason,
    message: string,
  ) {
    super(message);
  }
}

/** True for text in the sealed format (of any version); false for a legacy plaintext secret. */
export function isSealed(text: string): boolean {
  // Any `v<n>.` prefix counts, so that a corrupted or newer value fails loudly in openSecret
  // instead of being taken for (and re-sealed as) a plaintext secret.
  return /^v[1-9][0-9]{0,3}\./.test(text);
}

export function sealSecret(key: Buffer, plaintext: string, context: string): string {
  checkKey(key);
  checkContext(context);
  const bytes = Buffer.from(plaintext, 'utf8');
  if (bytes.toString('utf8') !== plaintext) throw new TypeError('the secret is not well-formed Unicode (it has a lone surrogate)');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(VERSION, context));
  const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
  return [VERSION, ...[iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'))].join('.');
}

export function openSecret(key: Buffer, sealed: string, context: string): string {
  checkKey(key);
  checkContext(context);
  const parts = sealed.split('.');
  const [version, ivText, tagText, ciphertextText] = parts;
  if (!isSealed(sealed) || version === undefined) throw malformed('it does not start with a version such as v1.');
  if (version !== VERSION) {
    throw new SecretUnreadableError('unsupported-version', `the stored secret is sealed in format ${version}, which this version does not read`);
  }
  if (parts.length !== 4 || ivText === undefined || tagText === undefined || ciphertextText === undefined) {
    throw malformed('it does not have the four parts v1.<iv>.<tag>.<ciphertext>');
  }
  const iv = decodePart(ivText, 'IV');
  const tag = decodePart(tagText, 'tag');
  const ciphertext = decodePart(ciphertextText, 'ciphertext');
  if (iv.length !== IV_BYTES) throw malformed(`its IV is ${iv.length} bytes, not ${IV_BYTES}`);
  // GCM accepts tags as short as 4 bytes unless told otherwise; a cut tag must not pass.
  if (tag.length !== TAG_BYTES) throw malformed(`its tag is ${tag.length} bytes, not ${TAG_BYTES}`);

  const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(VERSION, context));
  decipher.setAuthTag(tag);
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new SecretUnreadableError(
      'not-authentic',
      'the stored secret cannot be decrypted: it was sealed with another key, for another company, or it was altered',
    );
  }
  return plaintext.toString('utf8');
}

function additionalData(version: string, context: string): Buffer {
  // A fixed label first: the AAD is then unambiguous and means nothing to any other use of the key.
  return Buffer.from(`qvickly-ipn company secret ${version}\n${context}`, 'utf8');
}

function decodePart(text: string, name: string): Buffer {
  // Buffer.from(…, 'base64url') skips characters it does not know; only the canonical
  // encoding of some bytes is accepted, so one sealed value has exactly one spelling.
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw malformed(`its ${name} is not base64url`);
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw malformed(`its ${name} is not canonical base64url`);
  return bytes;
}

function malformed(detail: string): SecretUnreadableError {
  return new SecretUnreadableError('malformed', `the stored secret is not a readable sealed value: ${detail}`);
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== SECRET_KEY_BYTES) {
    throw new RangeError(`the secrets key must be ${SECRET_KEY_BYTES} bytes, got ${Buffer.isBuffer(key) ? key.length : typeof key}`);
  }
}

function checkContext(context: string): void {
  if (typeof context !== 'string' || context.length === 0) {
    throw new TypeError('a sealed secret needs a context (the company id) so that it cannot be moved to another row');
  }
}
