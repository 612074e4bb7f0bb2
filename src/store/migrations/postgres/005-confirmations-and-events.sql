-- Confirmation with Qvickly (getPaymentinfo), one row per payment of a company with a merchant id.
-- Every applied callback queues a check (several coalesce into this one row); `generation` moves
-- with each, so a check answers only for the generation it was leased with.
CREATE TABLE confirmations (
  company_id     TEXT NOT NULL,
  number         TEXT NOT NULL,
  state          TEXT NOT NULL,
  generation     INTEGER NOT NULL,
  due_at         TIMESTAMPTZ NOT NULL,
  queued_at      TIMESTAMPTZ NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  lease_token    TEXT,
  lease_until    TIMESTAMPTZ,
  qvickly_status TEXT,
  orderid        TEXT,
  currency       TEXT,
  amount         TEXT,
  related_number TEXT,
  checked_at     TIMESTAMPTZ,
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
  sequence          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
  callback_id       BIGINT,
  occurred_at       TIMESTAMPTZ NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 0,
  first_attempt_at  TIMESTAMPTZ,
  next_attempt_at   TIMESTAMPTZ NOT NULL,
  lease_token       TEXT,
  lease_until       TIMESTAMPTZ,
  settled_at        TIMESTAMPTZ,
  last_error        TEXT
);
CREATE INDEX payment_events_by_payment ON payment_events (company_id, number, sequence);
CREATE INDEX payment_events_due ON payment_events (next_attempt_at, sequence) WHERE state = 'pending';
CREATE INDEX payment_events_by_state ON payment_events (state, sequence);

-- Every delivery attempt, for operators (`events show`).
CREATE TABLE event_attempts (
  event_id     TEXT NOT NULL,
  attempted_at TIMESTAMPTZ NOT NULL,
  status_code  INTEGER,
  duration_ms  INTEGER NOT NULL,
  error        TEXT,
  verdict      TEXT NOT NULL
);
CREATE INDEX event_attempts_by_event ON event_attempts (event_id, attempted_at);

-- The settlement arrives as one JSON argument (the body apart, as bytes), so that what a callback
-- writes can grow without a new signature each time.
-- One callback's whole write in one round trip, as one statement (so one transaction): the
-- guards first (the payment still at the version the decision was made on, the signed data not
-- yet claimed), then the inbox row, the fingerprint, the payment and its history. A failed guard
-- raises QV409 and nothing is written; the caller reads the payment again and decides again. A
-- payment created concurrently fails the INSERT (23505), which the caller treats the same way.
-- The write also queues the payment's confirmation and records its events (the transactional
-- outbox). The one definition of the function: migrations before this one only add columns.
CREATE OR REPLACE FUNCTION ipn_settle(p JSONB, p_body BYTEA) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  e JSONB := p->'entry';
  v_company_id TEXT := e->>'companyId';
  v_number TEXT := e->>'number';
  v_received_at TIMESTAMPTZ := (e->>'receivedAt')::timestamptz;
  v_version INTEGER;
  v_callback_id BIGINT;
BEGIN
  IF p->'expectedVersion' <> 'null'::jsonb THEN
    SELECT version INTO v_version FROM payments WHERE company_id = v_company_id AND number = v_number FOR UPDATE;
    IF COALESCE(v_version, 0) <> (p->>'expectedVersion')::integer THEN
      RAISE EXCEPTION 'payment % moved since it was read', v_number USING ERRCODE = 'QV409';
    END IF;
  END IF;

  INSERT INTO callbacks (received_at, company_id, booking_id, article_type_id, number, status, content_type, content_encoding,
                         query, body, remote_address, authentic, outcome, reason, replay_of, duplicate_of, secret_used, routing)
  VALUES (v_received_at, v_company_id, e->>'bookingId', (e->>'articleTypeId')::integer, v_number, e->>'status',
          e->>'contentType', e->>'contentEncoding', e->>'query', p_body, e->>'remoteAddress', (e->>'authentic')::boolean,
          e->>'outcome', e->>'reason', (e->>'replayOf')::bigint, (e->>'duplicateOf')::bigint, e->>'secretUsed', e->>'routing')
  RETURNING callback_id INTO v_callback_id;

  IF p->'fingerprint' <> 'null'::jsonb THEN
    INSERT INTO callback_fingerprints (company_id, number, fingerprint, callback_id)
    VALUES (v_company_id, v_number, p->>'fingerprint', v_callback_id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the signed data of payment % was claimed since it was read', v_number USING ERRCODE = 'QV409';
    END IF;
  END IF;

  IF p->'payment'->>'change' = 'create' THEN
    INSERT INTO payments (company_id, number, booking_id, article_type_id, orderid, status, category, url, routing, created_at,
                          updated_at, version)
    VALUES (v_company_id, v_number, e->>'bookingId', (e->>'articleTypeId')::integer, p->'payment'->>'orderid', e->>'status',
            p->'payment'->>'category', p->'payment'->>'url', p->'payment'->>'routing', v_received_at, v_received_at, 1);
  ELSIF p->'payment'->>'change' = 'update' THEN
    UPDATE payments SET booking_id = e->>'bookingId', article_type_id = (e->>'articleTypeId')::integer,
      orderid = p->'payment'->>'orderid', status = e->>'status', category = p->'payment'->>'category',
      url = p->'payment'->>'url', routing = p->'payment'->>'routing', updated_at = v_received_at, version = version + 1
    WHERE company_id = v_company_id AND number = v_number;
  ELSIF p->'history' <> 'null'::jsonb THEN
    UPDATE payments SET version = version + 1 WHERE company_id = v_company_id AND number = v_number;
  END IF;

  IF p->'history' <> 'null'::jsonb THEN
    INSERT INTO payment_history (company_id, number, status, category, outcome, callback_id, received_at)
    VALUES (v_company_id, v_number, e->>'status', p->'history'->>'category', e->>'outcome', v_callback_id, v_received_at);
  END IF;

  IF p->'confirm' <> 'null'::jsonb THEN
    INSERT INTO confirmations (company_id, number, state, generation, due_at, queued_at, attempts)
    VALUES (v_company_id, v_number, 'pending', 1, (p->'confirm'->>'queuedAt')::timestamptz, (p->'confirm'->>'queuedAt')::timestamptz, 0)
    ON CONFLICT (company_id, number) DO UPDATE SET state = 'pending', generation = confirmations.generation + 1, due_at = excluded.due_at,
      queued_at = CASE WHEN confirmations.state = 'pending' THEN confirmations.queued_at ELSE excluded.queued_at END,
      attempts = CASE WHEN confirmations.state = 'pending' THEN confirmations.attempts ELSE 0 END,
      error_code = NULL, error_message = NULL;
  END IF;

  INSERT INTO payment_events (event_id, type, state, company_id, number, booking_id, article_type_id, orderid, status, category,
                              previous_status, previous_category, routing, confirmation, callback_id, occurred_at, next_attempt_at)
  SELECT ev->>'eventId', ev->>'type', ev->>'state', ev->>'companyId', ev->>'number', ev->>'bookingId', (ev->>'articleTypeId')::integer,
         ev->>'orderid', ev->>'status', ev->>'category', ev->>'previousStatus', ev->>'previousCategory', ev->>'routing',
         ev->>'confirmation', v_callback_id, (ev->>'occurredAt')::timestamptz, (ev->>'occurredAt')::timestamptz
  FROM jsonb_array_elements(COALESCE(p->'events', '[]'::jsonb)) AS ev;
  RETURN v_callback_id;
END
$$;
