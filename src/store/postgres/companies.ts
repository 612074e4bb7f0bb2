import type pg from 'pg';
import type { CompanyRecord } from '../companies';

const COMPANY_COLUMNS = [
  'company_id',
  'secret',
  'secret_key_id',
  'previous_secret',
  'previous_secret_expires_at',
  'merchant_id',
  'qvickly_test',
  'callback_urls',
  'created_at',
  'updated_at',
] as const;
const WRITE_COMPANY = `
  INSERT INTO companies (${COMPANY_COLUMNS.join(', ')}) VALUES (${COMPANY_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})
  ON CONFLICT (company_id) DO UPDATE SET ${COMPANY_COLUMNS.slice(1, -2)
    .concat(['updated_at'])
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')}`;

/** Inserts or replaces companies' rows (the caller holds their locks, in its transaction). */
export async function writeCompanies(client: pg.PoolClient, records: readonly CompanyRecord[]): Promise<void> {
  for (const record of records) {
    await client.query(WRITE_COMPANY, [
      record.companyId,
      record.secret,
      record.secretKeyId,
      record.previousSecret,
      record.previousSecretExpiresAt,
      record.merchantId,
      record.test,
      record.callbackUrls,
      record.createdAt,
      record.updatedAt,
    ]);
  }
}
