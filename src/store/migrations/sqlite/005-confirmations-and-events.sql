-- Confirmation with Qvickly (getPaymentinfo), one row per payment of a company with a merchant id.
-- Every applied callback queues a check (several coalesce into this one row); `generation` moves
-- with each, so a check answers only for the generation it was leased with.
CREATE TABLE confirmations (
  company_id     TEXT NOT NULL,
  number         TEXT NOT NULL,
  state          TEXT NOT NULL,
  generation     INTEGER NOT NULL,
  due_at         TEXT NOT NULL,
  queued_at      TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  lease_token    TEXT,
  lease_until    TEXT,
  qvickly_status TEXT,
  orderid        TEXT,
  currency       TEXT,
  amount         TEXT,
  related_number TEXT,
  checked_at     TEXT,
  error_code     TEXT,
  error_message  TEXT,
  PRIMARY KEY (company_id, number),
  FOREIGN KEY (company_id, number) REFERENCES payments (company_id, number)
);
CREATE INDEX confirmations_due ON confirmations (due_at) WHERE state = 'pending';
CREATE INDEX confirmations_related ON confirmations (company_id, related_number) WHERE related_number IS NOT NULL;

-- The transactional outbox: events for the booking system, written in the same transaction as
-- the change they describe, delivered in `sequence` order per payment. `held` waits for the
-- payment's confirmation; `withheld` was not confirmed and is never sent.
CREATE TABLE payment_events (
  sequence          INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id          TEXT NOT NULL UNIQUE,
  type              TEXT NOT NULL,
  state             TEXT NOT NULL,
  company_id        TEXT NOT NULL,
  number            TEXT NOT NULL,
  booking_id        TEXT NOT NULL,
  article_type_id   INTEGER NOT NULL,
  orderid           TEXT,
  status            TEXT NOT NULL,
  category          TEXT NOT NULL,
  previous_status   TEXT,
  previous_category TEXT,
  routing           TEXT NOT NULL,
  confirmation      TEXT,
  callback_id       INTEGER,
  occurred_at       TEXT NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 0,
  first_attempt_at  TEXT,
  next_attempt_at   TEXT NOT NULL,
  lease_token       TEXT,
  lease_until       TEXT,
  settled_at        TEXT,
  last_error        TEXT
);
CREATE INDEX payment_events_by_payment ON payment_events (company_id, number, sequence);
CREATE INDEX payment_events_due ON payment_events (next_attempt_at, sequence) WHERE state = 'pending';
CREATE INDEX payment_events_by_state ON payment_events (state, sequence);

-- Every delivery attempt, for operators (`events show`).
CREATE TABLE event_attempts (
  event_id     TEXT NOT NULL,
  attempted_at TEXT NOT NULL,
  status_code  INTEGER,
  duration_ms  INTEGER NOT NULL,
  error        TEXT,
  verdict      TEXT NOT NULL
);
CREATE INDEX event_attempts_by_event ON event_attempts (event_id, attempted_at);
