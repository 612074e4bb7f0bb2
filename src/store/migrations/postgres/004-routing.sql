-- Whether a callback's booking came from a signed callback URL, and whether a payment's booking
-- has been confirmed by one. Payments from before signed URLs were all routed unsigned.
ALTER TABLE callbacks ADD COLUMN routing TEXT;
ALTER TABLE payments ADD COLUMN routing TEXT NOT NULL DEFAULT 'unsigned';

-- The settlement arrives as one JSON argument (the body apart, as bytes), so that what a callback
-- writes can grow without a new signature each time.
-- One callback's whole write in one round trip, as one statement (so one transaction): the
-- guards first (the payment still at the version the decision was made on, the signed data not
-- yet claimed), then the inbox row, the fingerprint, the payment and its history. A failed guard
-- raises QV409 and nothing is written; the caller reads the payment again and decides again. A
-- payment created concurrently fails the INSERT (23505), which the caller treats the same way.
CREATE FUNCTION ipn_settle(p JSONB, p_body BYTEA) RETURNS BIGINT LANGUAGE plpgsql AS $$
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
  RETURN v_callback_id;
END
$$;
