import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isSealed, openSecret, sealSecret, SecretUnreadableError, type SecretUnreadableReason } from '../../src/secrets/secret-box';

const key = randomBytes(32);
const otherKey = randomBytes(32);
const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const OTHER_COMPANY = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';

function unreadable(open: () => unknown): SecretUnreadableReason {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretUnreadableError);
    expect((error as Error).name).toBe('SecretUnreadableError');
    return (error as SecretUnreadableError).reason;
  }
  throw new Error('the sealed value opened');
}

/** Changes one base64url character of the part at `index` (0 = version) to another valid one. */
function alter(sealed: string, index: number, at = 0): string {
  const parts = sealed.split('.');
  const part = parts[index] ?? '';
  const replacement = part[at] === 'A' ? 'B' : 'A';
  parts[index] = part.slice(0, at) + replacement + part.slice(at + 1);
  return parts.join('.');
}

describe('sealing a Qvickly secret', () => {
  it('opens to the same secret with the same key and company', () => {
    const sealed = sealSecret(key, '123456789012', COMPANY);
    expect(openSecret(key, sealed, COMPANY)).toBe('123456789012');
  });

  it('round-trips any well-formed string, including empty and non-ASCII ones', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ minLength: 1, maxLength: 40 }), (secret, context) => {
        expect(openSecret(key, sealSecret(key, secret, context), context)).toBe(secret);
      }),
      { numRuns: 500 },
    );
  });

  it('writes v1.<iv 12 bytes>.<tag 16 bytes>.<ciphertext> in unpadded base64url', () => {
    const sealed = sealSecret(key, 'åäö secret', COMPANY);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    const [, iv, tag, ciphertext] = sealed.split('.');
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16);
    expect(Buffer.from(ciphertext ?? '', 'base64url')).toHaveLength(Buffer.byteLength('åäö secret'));
    expect(sealed).not.toContain('secret');
  });

  it('uses a fresh IV every time, so sealing the same secret twice gives different text', () => {
    const seals = Array.from({ length: 1000 }, () => sealSecret(key, 'same secret', COMPANY));
    expect(new Set(seals.map((sealed) => sealed.split('.')[1])).size).toBe(1000);
    expect(new Set(seals).size).toBe(1000);
  });

  it('refuses a key that is not 32 bytes and an empty context (programming errors, not unreadable data)', () => {
    expect(() => sealSecret(randomBytes(16), 's', COMPANY)).toThrow(RangeError);
    expect(() => openSecret(randomBytes(31), 'v1.x.y.z', COMPANY)).toThrow(RangeError);
    expect(() => sealSecret(key, 's', '')).toThrow(TypeError);
    expect(() => sealSecret(key, 'lone \ud800 surrogate', COMPANY)).toThrow(/well-formed/);
  });
});

describe('a sealed secret that must not open', () => {
  const sealed = sealSecret(key, '123456789012', COMPANY);

  it('with another key', () => {
    expect(unreadable(() => openSecret(otherKey, sealed, COMPANY))).toBe('not-authentic');
  });

  it("in another company's row", () => {
    expect(unreadable(() => openSecret(key, sealed, OTHER_COMPANY))).toBe('not-authentic');
    expect(unreadable(() => openSecret(key, sealed, COMPANY.toUpperCase()))).toBe('not-authentic');
  });

  it('when any part was altered', () => {
    expect(unreadable(() => openSecret(key, alter(sealed, 1), COMPANY))).toBe('not-authentic');
    expect(unreadable(() => openSecret(key, alter(sealed, 2), COMPANY))).toBe('not-authentic');
    expect(unreadable(() => openSecret(key, alter(sealed, 3), COMPANY))).toBe('not-authentic');
  });

  it('when any single bit of IV, tag or ciphertext is flipped', () => {
    const [, ...parts] = sealed.split('.');
    const bytes = parts.map((part) => Buffer.from(part, 'base64url'));
    for (let part = 0; part < bytes.length; part++) {
      const source = bytes[part] as Buffer;
      for (let bit = 0; bit < source.length * 8; bit++) {
        const flipped = bytes.map((b) => Buffer.from(b));
        const target = flipped[part] as Buffer;
        target.writeUInt8(target.readUInt8(bit >> 3) ^ (1 << (bit & 7)), bit >> 3);
        const text = ['v1', ...flipped.map((b) => b.toString('base64url'))].join('.');
        expect(unreadable(() => openSecret(key, text, COMPANY))).toBe('not-authentic');
      }
    }
  });

  it('when truncated anywhere', () => {
    for (let length = 0; length < sealed.length; length++) {
      const reason = unreadable(() => openSecret(key, sealed.slice(0, length), COMPANY));
      expect(['malformed', 'not-authentic']).toContain(reason);
    }
  });

  it('when the tag is cut short (GCM would otherwise accept a 4-byte tag)', () => {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    const shortTag = Buffer.from(tag ?? '', 'base64url').subarray(0, 4).toString('base64url');
    expect(unreadable(() => openSecret(key, [version, iv, shortTag, ciphertext].join('.'), COMPANY))).toBe('malformed');
  });

  it('when a part is not canonical base64url, or parts are missing or extra', () => {
    const [version, iv, tag, ciphertext] = sealed.split('.') as [string, string, string, string];
    expect(unreadable(() => openSecret(key, [version, iv, `${tag}=`, ciphertext].join('.'), COMPANY))).toBe('malformed');
    expect(unreadable(() => openSecret(key, [version, iv, tag.replace(/^./, '+'), ciphertext].join('.'), COMPANY))).toBe('malformed');
    expect(unreadable(() => openSecret(key, [version, iv, tag].join('.'), COMPANY))).toBe('malformed');
    expect(unreadable(() => openSecret(key, `${sealed}.extra`, COMPANY))).toBe('malformed');
  });

  it('when it is in a format this version does not know', () => {
    expect(unreadable(() => openSecret(key, sealed.replace(/^v1/, 'v2'), COMPANY))).toBe('unsupported-version');
  });

  it('when it is plaintext; and the error never repeats the value', () => {
    expect(unreadable(() => openSecret(key, '123456789012', COMPANY))).toBe('malformed');
    try {
      openSecret(otherKey, sealed, COMPANY);
    } catch (error) {
      expect((error as Error).message).not.toContain(sealed.split('.')[3]);
      expect((error as Error).message).toMatch(/another key, for another company, or it was altered/);
    }
  });
});

describe('telling sealed values from legacy plaintext secrets', () => {
  it('recognises sealed values of this and later versions', () => {
    expect(isSealed(sealSecret(key, 'x', COMPANY))).toBe(true);
    expect(isSealed('v2.anything')).toBe(true);
  });

  it.each(['123456789012', '', 'v1', 'v', 'V1.abc', 'v0.abc', 'secret.v1.abc', 'vx.abc', ' v1.abc'])('takes %j for plaintext', (text) => {
    expect(isSealed(text)).toBe(false);
  });
});
