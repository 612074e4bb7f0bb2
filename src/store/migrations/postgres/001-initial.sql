-- Companies and their Qvickly secrets (needed in clear to compute the HMAC).
CREATE TABLE companies (
  company_id  TEXT PRIMARY KEY,
  secret      TEXT NOT NULL,
  merchant_id TEXT,
  created_at  TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);

-- The inbox: every callback that got past body parsing, exactly as received.
CREATE TABLE callbacks (
  callback_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at     TIMESTAMPTZ NOT NULL,
  company_id      TEXT,
  booking_id      TEXT,
  article_type_id INTEGER,
  number          TEXT,
  status          TEXT,
  content_type    TEXT,
  query           TEXT NOT NULL,
  body            BYTEA NOT NULL,
  remote_address  TEXT,
  authentic       BOOLEAN NOT NULL,
  outcome         TEXT NOT NULL,
  reason          TEXT,
  replay_of       BIGINT
);
CREATE INDEX callbacks_by_company ON callbacks (company_id, callback_id);
-- Only rejected rows are indexed for pruning: an authentic callback pays for one index fewer.
CREATE INDEX callbacks_rejected ON callbacks (callback_id) WHERE NOT authentic;

CREATE TABLE payments (
  company_id      TEXT NOT NULL,
  number          TEXT NOT NULL,
  booking_id      TEXT NOT NULL,
  article_type_id INTEGER NOT NULL,
  orderid         TEXT,
  status          TEXT NOT NULL,
  category        TEXT NOT NULL,
  url             TEXT,
  created_at      TIMESTAMPTZ NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (company_id, number)
);

CREATE TABLE payment_history (
  history_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  company_id  TEXT NOT NULL,
  number      TEXT NOT NULL,
  status      TEXT NOT NULL,
  category    TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  callback_id BIGINT NOT NULL UNIQUE REFERENCES callbacks (callback_id),
  received_at TIMESTAMPTZ NOT NULL,
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
);
