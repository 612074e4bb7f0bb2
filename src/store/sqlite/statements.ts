import type Database from 'better-sqlite3';
import { CALLBACK_COLUMNS, EVENT_COLUMNS } from '../rows';

/** Every statement the SQLite store runs, prepared once (after the migrations). */
export function prepareStatements(db: Database.Database) {
  const placeholders = CALLBACK_COLUMNS.map(() => '?').join(', ');
  return {
    findCompany: db.prepare('SELECT * FROM companies WHERE company_id = ?'),
    allCompanies: db.prepare('SELECT * FROM companies ORDER BY company_id'),
    writeCompany: db.prepare(
      `INSERT INTO companies (company_id, secret, secret_key_id, previous_secret, previous_secret_expires_at, merchant_id,
                              qvickly_test, callback_urls, created_at, updated_at)
       VALUES (@companyId, @secret, @secretKeyId, @previousSecret, @previousSecretExpiresAt, @merchantId, @test, @callbackUrls,
               @createdAt, @updatedAt)
       ON CONFLICT (company_id) DO UPDATE SET secret = excluded.secret, secret_key_id = excluded.secret_key_id,
         previous_secret = excluded.previous_secret, previous_secret_expires_at = excluded.previous_secret_expires_at,
         merchant_id = excluded.merchant_id, qvickly_test = excluded.qvickly_test, callback_urls = excluded.callback_urls,
         updated_at = excluded.updated_at`,
    ),
    findPayment: db.prepare('SELECT * FROM payments WHERE company_id = ? AND number = ?'),
    paymentVersion: db.prepare('SELECT version FROM payments WHERE company_id = ? AND number = ?').pluck(),
    findConfirmation: db.prepare('SELECT * FROM confirmations WHERE company_id = ? AND number = ?'),
    queueConfirmation: db.prepare(
      `INSERT INTO confirmations (company_id, number, state, generation, due_at, queued_at, attempts) VALUES (@companyId, @number, 'pending', 1, @now, @now, 0)
       ON CONFLICT (company_id, number) DO UPDATE SET state = 'pending', generation = confirmations.generation + 1, due_at = excluded.due_at,
         queued_at = CASE WHEN confirmations.state = 'pending' THEN confirmations.queued_at ELSE excluded.queued_at END,
         attempts = CASE WHEN confirmations.state = 'pending' THEN confirmations.attempts ELSE 0 END,
         error_code = NULL, error_message = NULL`,
    ),
    insertEvent: db.prepare(`INSERT INTO payment_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`),
    heldStatuses: db.prepare('SELECT DISTINCT lower(status) FROM payment_history WHERE company_id = ? AND number = ?').pluck(),
    listFingerprints: db.prepare('SELECT fingerprint, callback_id FROM callback_fingerprints WHERE company_id = ? AND number = ?'),
    fingerprintExists: db.prepare('SELECT 1 FROM callback_fingerprints WHERE company_id = ? AND number = ? AND fingerprint = ?').pluck(),
    insertFingerprint: db.prepare('INSERT INTO callback_fingerprints (company_id, number, fingerprint, callback_id) VALUES (?, ?, ?, ?)'),
    insertCallback: db.prepare(`INSERT INTO callbacks (${CALLBACK_COLUMNS.join(', ')}) VALUES (${placeholders})`),
    insertPayment: db.prepare(
      `INSERT INTO payments (company_id, number, booking_id, article_type_id, orderid, status, category, url, routing, created_at, updated_at, version)
       VALUES (@companyId, @number, @bookingId, @articleTypeId, @orderid, @status, @category, @url, @routing, @updatedAt, @updatedAt, 1)`,
    ),
    updatePayment: db.prepare(
      `UPDATE payments SET booking_id = @bookingId, article_type_id = @articleTypeId, orderid = @orderid, status = @status,
         category = @category, url = @url, routing = @routing, updated_at = @updatedAt, version = version + 1
       WHERE company_id = @companyId AND number = @number`,
    ),
    touchPayment: db.prepare('UPDATE payments SET version = version + 1 WHERE company_id = ? AND number = ?'),
    insertHistory: db.prepare(
      `INSERT INTO payment_history (company_id, number, status, category, outcome, callback_id, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    listHistory: db.prepare('SELECT * FROM payment_history WHERE company_id = ? AND number = ? ORDER BY history_id'),
    listPayments: db.prepare('SELECT * FROM payments WHERE company_id = ? ORDER BY created_at, number'),
    listPaymentsOfBooking: db.prepare('SELECT * FROM payments WHERE company_id = ? AND booking_id = ? ORDER BY created_at, number'),
    listCallbacks: db.prepare(
      `SELECT * FROM callbacks
       WHERE (@company IS NULL OR company_id = @company) AND (@outcome IS NULL OR outcome = @outcome)
       ORDER BY callback_id DESC LIMIT @limit`,
    ),
    findCallback: db.prepare('SELECT * FROM callbacks WHERE callback_id = ?'),
    // The newest rejected row beyond either cap (rows or bytes); it and every older one go.
    newestPrunable: db
      .prepare(
        `SELECT callback_id FROM (
           SELECT callback_id,
                  ROW_NUMBER() OVER newest AS kept_rows,
                  SUM(length(body) + length(CAST(query AS BLOB))) OVER newest AS kept_bytes
           FROM callbacks WHERE authentic = 0
           WINDOW newest AS (ORDER BY callback_id DESC))
         WHERE kept_rows > @rows OR kept_bytes > @bytes
         ORDER BY callback_id DESC LIMIT 1`,
      )
      .pluck(),
    pruneRejected: db.prepare('DELETE FROM callbacks WHERE authentic = 0 AND callback_id <= ?'),
  };
}

export type SqliteStatements = ReturnType<typeof prepareStatements>;
