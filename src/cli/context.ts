import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { loadConfig } from '../config';
import { schemaValidator } from '../contract';
import { openConfiguredStore } from '../store/from-config';
import type { Migration } from '../store/migrate';
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
  const store = await openConfiguredStore(loadConfig(), onMigration);
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

const withoutNewline = (raw: string): string => (raw.endsWith('\r\n') ? raw.slice(0, -2) : raw.endsWith('\n') ? raw.slice(0, -1) : raw);

/**
 * A secret from --secret, --secret-file, or standard input when it is not a terminal; one
 * trailing newline is dropped. Undefined when none was given (an empty standard input).
 */
export function secretFrom(options: SecretOptions): string | undefined {
  if (options.secret !== undefined || options.secretFile !== undefined) {
    const secret = withoutNewline(options.secret ?? readFileSync(options.secretFile ?? '', 'utf8'));
    if (secret.length === 0) throw new InvalidArgumentError('the secret is empty');
    return secret;
  }
  if (process.stdin.isTTY) return undefined;
  const secret = withoutNewline(readFileSync(0, 'utf8'));
  return secret.length === 0 ? undefined : secret;
}

/** A secret that must be given: --secret, --secret-file or standard input. */
export function readSecret(options: SecretOptions): string {
  const secret = secretFrom(options);
  if (secret === undefined) throw new InvalidArgumentError('give the secret with --secret-file, --secret or on standard input');
  return secret;
}
