import type { CallbackUrlPolicy, Company } from '../ipn/ports';
import type { Sealer } from '../secrets/sealer';
import { isSealed } from '../secrets/secret-box';
import { text, type Row } from './rows';

/** A companies row as stored: its secrets sealed. */
export interface CompanyRecord {
  companyId: string;
  secret: string;
  secretKeyId: string | null;
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
  merchantId: string | null;
  test: boolean;
  callbackUrls: CallbackUrlPolicy;
  createdAt: string;
  updatedAt: string;
}

/** What `company set` asks for: each field changes only when it is given. */
export interface CompanyChange {
  companyId: string;
  now: string;
  secret?: string;
  /** With a new secret: the one it replaces keeps verifying until then. */
  keepPreviousUntil?: string;
  merchantId?: string | null;
  test?: boolean;
  callbackUrls?: CallbackUrlPolicy;
}

/** A company as operators list it: never a secret. */
export interface CompanySummary {
  companyId: string;
  merchantId: string | null;
  test: boolean;
  callbackUrls: CallbackUrlPolicy;
  previousSecretExpiresAt: string | null;
  updatedAt: string;
}


export function toCompanyRecord(row: Row): CompanyRecord {
  return {
    companyId: String(row.company_id),
    secret: String(row.secret),
    secretKeyId: text(row.secret_key_id),
    previousSecret: text(row.previous_secret),
    previousSecretExpiresAt: text(row.previous_secret_expires_at),
    merchantId: text(row.merchant_id),
    test: Boolean(row.qvickly_test),
    callbackUrls: row.callback_urls === 'signed' ? 'signed' : 'any',
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

export function summaryOf(record: CompanyRecord): CompanySummary {
  const { companyId, merchantId, test, callbackUrls, previousSecretExpiresAt, updatedAt } = record;
  return { companyId, merchantId, test, callbackUrls, previousSecretExpiresAt, updatedAt };
}

/** The company with its secrets opened. */
export function openCompany(record: CompanyRecord, sealer: Sealer): Company {
  const { companyId } = record;
  const previous =
    record.previousSecret !== null && record.previousSecretExpiresAt !== null
      ? { secret: sealer.open(companyId, record.previousSecret), expiresAt: record.previousSecretExpiresAt }
      : undefined;
  return {
    companyId,
    secret: sealer.open(companyId, record.secret),
    previous,
    callbackUrls: record.callbackUrls,
    merchantId: record.merchantId,
    test: record.test,
  };
}

class CompanyChangeError extends Error {
  override readonly name = 'CompanyChangeError';
}

/**
 * The row after a change. A new company needs a secret and takes signed callback URLs unless
 * told otherwise; a new secret replaces the current one, which is kept as the previous one only
 * when asked (`keepPreviousUntil`), else any previous one is dropped with it.
 */
export function changedRecord(existing: CompanyRecord | undefined, change: CompanyChange, sealer: Sealer): CompanyRecord {
  if (!existing && change.secret === undefined) throw new CompanyChangeError(`company ${change.companyId} is new: give its Qvickly secret`);
  if (change.keepPreviousUntil !== undefined && (change.secret === undefined || !existing)) {
    throw new CompanyChangeError('keeping the previous secret needs a new secret for a company that has one');
  }
  const base: CompanyRecord = existing ?? {
    companyId: change.companyId,
    secret: '',
    secretKeyId: null,
    previousSecret: null,
    previousSecretExpiresAt: null,
    merchantId: null,
    test: false,
    callbackUrls: 'signed',
    createdAt: change.now,
    updatedAt: change.now,
  };
  const next: CompanyRecord = { ...base, updatedAt: change.now };
  if (change.secret !== undefined) {
    next.secret = sealer.seal(change.companyId, change.secret);
    next.secretKeyId = sealer.keyId;
    next.previousSecret = change.keepPreviousUntil !== undefined ? base.secret : null;
    next.previousSecretExpiresAt = change.keepPreviousUntil ?? null;
  }
  if (change.merchantId !== undefined) next.merchantId = change.merchantId;
  if (change.test !== undefined) next.test = change.test;
  if (change.callbackUrls !== undefined) next.callbackUrls = change.callbackUrls;
  return next;
}

/** The row with both secrets sealed by another key. */
export function resealedRecord(record: CompanyRecord, from: Sealer, to: Sealer): CompanyRecord {
  const reseal = (sealed: string): string => to.seal(record.companyId, from.open(record.companyId, sealed));
  return {
    ...record,
    secret: reseal(record.secret),
    secretKeyId: to.keyId,
    previousSecret: record.previousSecret === null ? null : reseal(record.previousSecret),
  };
}

class SecretsUnreadableError extends Error {
  override readonly name = 'SecretsUnreadableError';
}

/**
 * Seals what is still plaintext (rows from before secrets were sealed) and proves the rest opens
 * with the key given: a service that could not read its secrets would refuse every callback.
 */
export function recordsToSeal(records: readonly CompanyRecord[], sealer: Sealer): CompanyRecord[] {
  const unreadable: string[] = [];
  const toSeal: CompanyRecord[] = [];
  for (const record of records) {
    const sealedSecret = isSealed(record.secret);
    const sealedPrevious = record.previousSecret === null || isSealed(record.previousSecret);
    if (!sealedSecret || !sealedPrevious) {
      toSeal.push({
        ...record,
        secret: sealedSecret ? record.secret : sealer.seal(record.companyId, record.secret),
        secretKeyId: sealer.keyId,
        previousSecret: sealedPrevious ? record.previousSecret : sealer.seal(record.companyId, record.previousSecret ?? ''),
      });
      continue;
    }
    try {
      openCompany(record, sealer);
    } catch {
      unreadable.push(`${record.companyId} (sealed with key ${record.secretKeyId ?? 'unknown'})`);
    }
  }
  if (unreadable.length > 0) {
    throw new SecretsUnreadableError(
      `the secrets of ${unreadable.length} companies cannot be opened with the key given (key ${sealer.keyId}): ` +
        `${unreadable.slice(0, 5).join(', ')}${unreadable.length > 5 ? ', …' : ''}. Set SECRETS_KEY_FILE to the key they were sealed with.`,
    );
  }
  return toSeal;
}
