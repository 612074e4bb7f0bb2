import { createHmac, hash as digest, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { signCallback } from '../../src/client/sign';
import { categorize } from '../../src/ipn/status';
import type { BenchCompany } from './traffic';

export interface PrefillResult {
  payments: number;
  companies: number;
  seconds: number;
  fileBytes: number;
}

/** Prefilled payment numbers start here; the load's numbers are far above, so they never meet. */
const PREFILL_FIRST_NUMBER = 10_000_000;
const OTHER_COMPANIES = 19;
const DAY_MS = 86_400_000;

/**
 * Writes `count` settled payments straight into a migrated SQLite file, each as the service
 * would have stored it: one authentic `applied` inbox row with its signed body, the payment,
 * one history row and the data's fingerprint. The load company owns 1 in 20 of them.
 *
 * Bulk-load shortcuts (a million payments in about 20 s instead of 40+): no journal and no
 * fsync (a scratch file), no foreign-key checks (rows are consistent by construction), the
 * secondary indexes dropped and rebuilt from their own SQL afterwards. The file is left in WAL
 * mode, checkpointed.
 */
export function prefillPayments(file: string, count: number, loadCompany: BenchCompany): PrefillResult {
  const started = process.hrtime.bigint();
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -1048576');
    db.pragma('temp_store = MEMORY');
    const indexes = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
      .all() as Array<{ name: string; sql: string }>;

    const companies: BenchCompany[] = [loadCompany];
    for (let i = 0; i < OTHER_COMPANIES; i += 1) companies.push({ companyId: randomUUID(), secret: randomBytes(16).toString('hex') });
    const category = categorize('Paid');
    if (!category) throw new Error('Paid is not a known status');

    const insertCompany = db.prepare(
      `INSERT INTO companies (company_id, secret, merchant_id, created_at, updated_at) VALUES (?, ?, NULL, ?, ?)
       ON CONFLICT (company_id) DO NOTHING`,
    );
    const insertCallback = db.prepare(
      `INSERT INTO callbacks (received_at, company_id, booking_id, article_type_id, number, status, content_type, query, body,
         remote_address, authentic, outcome, reason, replay_of)
       VALUES (?, ?, ?, ?, ?, 'Paid', 'application/json', ?, ?, '127.0.0.1', 1, 'applied', NULL, NULL)`,
    );
    const insertPayment = db.prepare(
      `INSERT INTO payments (company_id, number, booking_id, article_type_id, orderid, status, category, url, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'Paid', ?, '', ?, ?)`,
    );
    const insertHistory = db.prepare(
      `INSERT INTO payment_history (company_id, number, status, category, outcome, callback_id, received_at)
       VALUES (?, ?, 'Paid', ?, 'applied', ?, ?)`,
    );
    const insertFingerprint = db.prepare('INSERT INTO callback_fingerprints (company_id, number, fingerprint) VALUES (?, ?, ?)');

    // Inbox rows arrive in time order over the last 90 days, as they would have.
    const firstMs = Date.now() - 90 * DAY_MS;
    const stepMs = (90 * DAY_MS) / Math.max(1, count);
    const now = new Date().toISOString();

    db.transaction(() => {
      for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
      for (const company of companies) insertCompany.run(company.companyId, company.secret, now, now);
      for (let i = 0; i < count; i += 1) {
        const company = companies[i % companies.length] as BenchCompany;
        const number = String(PREFILL_FIRST_NUMBER + i);
        const bookingId = String(1_000_000 + ((i * 7919) % 9_000_000));
        const articleTypeId = 1 + (i % 3);
        const orderid = `P${number}`;
        const receivedAt = new Date(firstMs + i * stepMs).toISOString();
        // ASCII only and no '/', so this is exactly PHP's json_encode (checked on the first row).
        const signedData = `{"number":"${number}","status":"Paid","orderid":"${orderid}","url":""}`;
        if (i === 0) assertSameAsSigner(company.secret, signedData, { number, status: 'Paid', orderid, url: '' });
        const hash = createHmac('sha512', company.secret).update(signedData).digest('hex');
        const body = Buffer.from(`{"credentials":{"hash":"${hash}"},"data":${signedData}}`);
        const query = `CompanyId=${company.companyId}&BookingId=${bookingId}&ArticleTypeId=${articleTypeId}`;
        const callbackId = insertCallback.run(receivedAt, company.companyId, bookingId, articleTypeId, number, query, body).lastInsertRowid;
        insertPayment.run(company.companyId, number, bookingId, articleTypeId, orderid, category, receivedAt, receivedAt);
        insertHistory.run(company.companyId, number, category, callbackId, receivedAt);
        insertFingerprint.run(company.companyId, number, digest('sha256', signedData));
      }
      for (const { sql } of indexes) db.exec(sql);
    }).immediate();
    db.pragma('journal_mode = WAL');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = Number(db.pragma('page_count', { simple: true }));
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    db.close();
    // Without this the kernel writes the gigabyte back on its own schedule (dirty_expire, 30 s),
    // which lands in the middle of the measurement and competes with the service's fsyncs.
    const fd = openSync(file, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    return {
      payments: count,
      companies: companies.length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      fileBytes: pages * pageSize,
    };
  } finally {
    if (db.open) db.close();
  }
}

function assertSameAsSigner(secret: string, signedData: string, data: Record<string, unknown>): void {
  const signed = signCallback(secret, data);
  if (signed.signedData !== signedData) throw new Error(`prefill data ${signedData} differs from the signer's ${signed.signedData}`);
}
