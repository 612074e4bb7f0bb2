import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { sealerFor } from '../../src/secrets/sealer';
import { changedRecord, openCompany, recordsToSeal, resealedRecord, type CompanyRecord } from '../../src/store/companies';
import { isSqliteError } from '../../src/store/sqlite/errors';

// The company rows' rules, shared by both engines, without a database: what a change makes of a
// row, what opening and resealing do, and what the start-up check says of secrets it cannot open.

const sealer = sealerFor(randomBytes(32));
const otherSealer = sealerFor(randomBytes(32));
const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const NOW = '2026-12-02T10:00:00.000Z';
const LATER = '2026-12-03T10:00:00.000Z';
const UNTIL = '2027-01-01T00:00:00.000Z';

function aNewCompany(secret = 'first-secret', companyId = COMPANY): CompanyRecord {
  return changedRecord(undefined, { companyId, secret, now: NOW }, sealer);
}

function failureOf(work: () => unknown): { name: string; message: string } {
  try {
    work();
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('it did not fail');
}

describe('changedRecord: a new company', () => {
  test('gets its sealed secret, no previous secret, no merchant, live mode, signed callback URLs and both timestamps now', () => {
    const record = aNewCompany();
    expect({ ...record, secret: openCompany(record, sealer).secret }).toEqual({
      companyId: COMPANY,
      secret: 'first-secret',
      secretKeyId: sealer.keyId,
      previousSecret: null,
      previousSecretExpiresAt: null,
      merchantId: null,
      test: false,
      callbackUrls: 'signed',
      createdAt: NOW,
      updatedAt: NOW,
    });
    expect(record.secret).not.toContain('first-secret');
  });

  test('without a secret is refused with a CompanyChangeError naming the company', () => {
    expect(failureOf(() => changedRecord(undefined, { companyId: COMPANY, now: NOW }, sealer))).toEqual({
      name: 'CompanyChangeError',
      message: `company ${COMPANY} is new: give its Qvickly secret`,
    });
  });

  test('asking to keep a previous secret is refused: a new company has none', () => {
    expect(failureOf(() => changedRecord(undefined, { companyId: COMPANY, secret: 's', keepPreviousUntil: UNTIL, now: NOW }, sealer))).toEqual({
      name: 'CompanyChangeError',
      message: 'keeping the previous secret needs a new secret for a company that has one',
    });
  });
});

describe('changedRecord: an existing company', () => {
  test('a new secret with keepPreviousUntil keeps the old one as previous until then; both open', () => {
    const first = aNewCompany('first-secret');
    const next = changedRecord(first, { companyId: COMPANY, secret: 'second-secret', keepPreviousUntil: UNTIL, now: LATER }, sealer);
    const opened = openCompany(next, sealer);
    expect({ secret: opened.secret, previous: opened.previous, createdAt: next.createdAt, updatedAt: next.updatedAt }).toEqual({
      secret: 'second-secret',
      previous: { secret: 'first-secret', expiresAt: UNTIL },
      createdAt: NOW,
      updatedAt: LATER,
    });
  });

  test('a new secret without keepPreviousUntil drops the previous one', () => {
    const rotated = changedRecord(aNewCompany(), { companyId: COMPANY, secret: 'second-secret', keepPreviousUntil: UNTIL, now: LATER }, sealer);
    const replaced = changedRecord(rotated, { companyId: COMPANY, secret: 'third-secret', now: LATER }, sealer);
    expect({ previousSecret: replaced.previousSecret, previousSecretExpiresAt: replaced.previousSecretExpiresAt }).toEqual({
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
    expect(openCompany(replaced, sealer)).toMatchObject({ secret: 'third-secret', previous: undefined });
  });

  test('keepPreviousUntil without a new secret is refused', () => {
    expect(failureOf(() => changedRecord(aNewCompany(), { companyId: COMPANY, keepPreviousUntil: UNTIL, now: LATER }, sealer)).message).toBe(
      'keeping the previous secret needs a new secret for a company that has one',
    );
  });

  test('a change of merchant, mode or callback URLs keeps the secrets and changes only what was given', () => {
    const first = aNewCompany();
    const next = changedRecord(first, { companyId: COMPANY, merchantId: 'M-1', test: true, callbackUrls: 'any', now: LATER }, sealer);
    expect(next).toEqual({ ...first, merchantId: 'M-1', test: true, callbackUrls: 'any', updatedAt: LATER });
  });
});

describe('openCompany', () => {
  test('a previous secret without its expiry (or the reverse) is not offered', () => {
    const rotated = changedRecord(aNewCompany(), { companyId: COMPANY, secret: 'second', keepPreviousUntil: UNTIL, now: LATER }, sealer);
    expect(openCompany({ ...rotated, previousSecretExpiresAt: null }, sealer).previous).toBeUndefined();
    expect(openCompany({ ...rotated, previousSecret: null }, sealer).previous).toBeUndefined();
  });
});

describe('resealedRecord', () => {
  test('seals both secrets under the other key and records its id', () => {
    const rotated = changedRecord(aNewCompany('one'), { companyId: COMPANY, secret: 'two', keepPreviousUntil: UNTIL, now: LATER }, sealer);
    const resealed = resealedRecord(rotated, sealer, otherSealer);
    expect(resealed.secretKeyId).toBe(otherSealer.keyId);
    expect(openCompany(resealed, otherSealer)).toMatchObject({ secret: 'two', previous: { secret: 'one', expiresAt: UNTIL } });
    expect(() => openCompany(resealed, sealer)).toThrow();
  });

  test('leaves a missing previous secret missing', () => {
    expect(resealedRecord(aNewCompany(), sealer, otherSealer).previousSecret).toBeNull();
  });
});

describe('recordsToSeal (the start-up check)', () => {
  test('seals plaintext secrets (rows from before sealing), current and previous, and leaves sealed rows alone', () => {
    const sealed = aNewCompany();
    const plain: CompanyRecord = { ...aNewCompany('x', 'plain'), secret: 'plain-now', previousSecret: 'plain-before', previousSecretExpiresAt: UNTIL, secretKeyId: null };
    const halfPlain: CompanyRecord = { ...aNewCompany('first-secret', 'half'), previousSecret: 'plain-before', previousSecretExpiresAt: UNTIL };
    const toSeal = recordsToSeal([sealed, plain, halfPlain], sealer);
    expect(toSeal.map((record) => record.companyId)).toEqual(['plain', 'half']);
    expect(toSeal.map((record) => openCompany(record, sealer))).toMatchObject([
      { secret: 'plain-now', previous: { secret: 'plain-before' } },
      { secret: 'first-secret', previous: { secret: 'plain-before' } },
    ]);
    expect(toSeal.every((record) => record.secretKeyId === sealer.keyId)).toBe(true);
  });

  test('nothing to seal when every row is sealed with the key given', () => {
    expect(recordsToSeal([aNewCompany(), aNewCompany('other-secret', 'other')], sealer)).toEqual([]);
  });

  test('refuses rows sealed with another key, naming the first five companies and their key ids', () => {
    const foreign = Array.from({ length: 6 }, (_, index) => ({ ...changedRecord(undefined, { companyId: `c${index}`, secret: 's', now: NOW }, otherSealer) }));
    foreign[0] = { ...(foreign[0] as CompanyRecord), secretKeyId: null };
    expect(failureOf(() => recordsToSeal(foreign, sealer))).toEqual({
      name: 'SecretsUnreadableError',
      message:
        `the secrets of 6 companies cannot be opened with the key given (key ${sealer.keyId}): ` +
        `c0 (sealed with key unknown), c1 (sealed with key ${otherSealer.keyId}), c2 (sealed with key ${otherSealer.keyId}), ` +
        `c3 (sealed with key ${otherSealer.keyId}), c4 (sealed with key ${otherSealer.keyId}), …. ` +
        'Set SECRETS_KEY_FILE to the key they were sealed with.',
    });
  });

  test('with exactly five unreadable rows the list ends without an ellipsis', () => {
    const foreign = Array.from({ length: 5 }, (_, index) => changedRecord(undefined, { companyId: `c${index}`, secret: 's', now: NOW }, otherSealer));
    expect(failureOf(() => recordsToSeal(foreign, sealer)).message).toMatch(/c4 \(sealed with key [^)]+\)\. Set SECRETS_KEY_FILE/);
  });
});

describe('isSqliteError (SQLite failures become 503, others stay 500)', () => {
  test('an error better-sqlite3 raised is one', () => {
    const db = new Database(':memory:');
    let raised: unknown;
    try {
      db.prepare('SELECT * FROM no_such_table').get();
    } catch (error) {
      raised = error;
    } finally {
      db.close();
    }
    expect(isSqliteError(raised)).toBe(true);
  });

  test('an error from another realm counts by its name or its SQLITE_ code', () => {
    expect(isSqliteError({ name: 'SqliteError', code: 5 })).toBe(true);
    expect(isSqliteError({ name: 'Error', code: 'SQLITE_FULL' })).toBe(true);
  });

  test('anything else is not: other codes, a code that only contains SQLITE_, a non-string code, null, a string', () => {
    expect(isSqliteError(new Error('SQLITE_FULL'))).toBe(false);
    expect(isSqliteError({ name: 'Error', code: 'ENOSPC' })).toBe(false);
    expect(isSqliteError({ name: 'Error', code: 'E_SQLITE_FULL' })).toBe(false);
    expect(isSqliteError({ name: 'Error', code: 7 })).toBe(false);
    expect(isSqliteError(null)).toBe(false);
    expect(isSqliteError('SqliteError')).toBe(false);
  });
});
