import type Database from 'better-sqlite3';
import type { Company } from '../../ipn/ports';

const MAX_ENTRIES = 10_000;

/**
 * Companies as opened for authentication (secrets decrypted), kept between callbacks: opening
 * one costs an AES-GCM decryption per secret, on every callback otherwise. The cache is dropped
 * whenever another connection (the CLI's `company set`, another process) commits to the
 * database — SQLite's `data_version` moves then — and when this store writes companies itself.
 * Unknown companies are cached too (as undefined); the size bound keeps a flood of forged ids
 * from growing it.
 */
export class CompanyCache {
  private readonly entries = new Map<string, Company | undefined>();
  private readonly dataVersion: Database.Statement;
  private seenVersion = -1;

  constructor(db: Database.Database) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  get(companyId: string, open: () => Company | undefined): Company | undefined {
    const version = Number(this.dataVersion.get());
    if (version !== this.seenVersion) this.clear(version);
    if (this.entries.has(companyId)) return this.entries.get(companyId);
    const company = open();
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(companyId, company);
    return company;
  }

  /** Forget every company (this store changed companies); `version`: the data_version now seen. */
  clear(version = this.seenVersion): void {
    this.entries.clear();
    this.seenVersion = version;
  }
}
