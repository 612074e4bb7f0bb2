import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { loadConfig } from '../config';
import { schemaValidator } from '../contract';
import type { Migration } from '../store/migrate';
import { openStore } from '../store/open';
import type { PaymentStore } from '../store/types';

let isCompanyId: ((value: unknown) => boolean) | undefined;

/** A company id argument, checked against the contract's CompanyId schema, lower-cased. */
export function companyIdArgument(value: string): string {
  isCompanyId ??= schemaValidator('CompanyId');
  if (!isCompanyId(value)) throw new InvalidArgumentError('must be a UUID like 7c9e6679-7425-40de-944b-e07fc1f90ae7');
  return value.toLowerCase();
}

export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('must be a positive integer');
  return number;
}

/** Opens the store the environment names (as the service does), runs `work`, closes it. */
export async function withStore<T>(work: (store: PaymentStore) => Promise<T>, onMigration?: (migration: Migration) => void): Promise<T> {
  const config = loadConfig();
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    retention: { rows: config.rejectedCallbackCap, bytes: config.rejectedCallbackBytes },
    onMigration,
  });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export interface SecretOptions {
  secret?: string;
  secretFile?: string;
}

/** A secret from --secret, --secret-file, or standard input; one trailing newline is dropped. */
export function readSecret(options: SecretOptions): string {
  const raw = options.secret ?? (options.secretFile !== undefined ? readFileSync(options.secretFile, 'utf8') : readFileSync(0, 'utf8'));
  const secret = raw.endsWith('\r\n') ? raw.slice(0, -2) : raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  if (secret.length === 0) throw new InvalidArgumentError('the secret is empty');
  return secret;
}
