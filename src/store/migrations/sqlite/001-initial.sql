-- Companies and their Qvickly secrets (needed in clear to compute the HMAC).
CREATE TABLE companies (
  company_id  TEXT PRIMARY KEY,
  secret      TEXT NOT NULL,
  merchant_id TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

-- The inbox: every callback that got past body parsing, exactly as received.
-- AUTOINCREMENT so that an id, once logged, never names another callback after pruning.
CREATE TABLE callbacks (
  callback_id     INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at     TEXT NOT NULL,
  company_id      TEXT,
  booking_id      TEXT,
  article_type_id INTEGER,
  number          TEXT,
  status          TEXT,
  content_type    TEXT,
  query           TEXT NOT NULL,
  body            BLOB NOT NULL,
  remote_address  TEXT,
  authentic       INTEGER NOT NULL,
  outcome         TEXT NOT NULL,
  reason          TEXT,
  replay_of       INTEGER
);
CREATE INDEX callbacks_by_company ON callbacks (company_id, callback_id);
-- Only rejected rows are indexed for pruning: an authentic callback pays for one index fewer.
CREATE INDEX callbacks_rejected ON callbacks (callback_id) WHERE authentic = 0;

CREATE TABLE payments (
  company_id      TEXT NOT NULL,
  number          TEXT NOT NULL,
  booking_id      TEXT NOT NULL,
  article_type_id INTEGER NOT NULL,
  orderid         TEXT,
  status          TEXT NOT NULL,
  category        TEXT NOT NULL,
  url             TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (company_id, number)
);

CREATE TABLE payment_history (
  history_id  INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id  TEXT NOT NULL,
  number      TEXT NOT NULL,
  status      TEXT NOT NULL,
  category    TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  callback_id INTEGER NOT NULL UNIQUE REFERENCES callbacks (callback_id),
  received_at TEXT NOT NULL,
  FOREIGN KEY (company_id, number) REFERENCES payments (company_id, number)
);
CREATE INDEX payment_history_by_payment ON payment_history (company_id, number, history_id);

-- One row per distinct signed data per company: the store, not the process, decides what is a
-- repeat. Keyed by payment first: a hash first would scatter every insert over the whole table.
CREATE TABLE callback_fingerprints (
  company_id  TEXT NOT NULL,
  number      TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  PRIMARY KEY (company_id, number, fingerprint)
) WITHOUT ROWID;
