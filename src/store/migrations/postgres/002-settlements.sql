-- A request's Content-Encoding decides how its body is decoded, so a replay needs it too.
ALTER TABLE callbacks ADD COLUMN content_encoding TEXT;
-- A duplicate keeps no body of its own: it points at the first copy, which has it.
ALTER TABLE callbacks ADD COLUMN duplicate_of BIGINT;
-- Every write to a payment or its history moves its version: a settlement decided on one version
-- commits only while the payment is still at it.
ALTER TABLE payments ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- The inbox row of the first copy of each signed data (NULL for rows older than this column).
ALTER TABLE callback_fingerprints ADD COLUMN callback_id BIGINT;

-- One callback's whole write in one round trip, as one statement (so one transaction): the
-- guards first (the payment still at the version the decision was made on, the signed data not
-- yet claimed), then the inbox row, the fingerprint, the payment and its history. A failed guard
-- raises QV409 and nothing is written; the caller reads the payment again and decides again. A
-- payment created concurrently fails the INSERT (23505), which the caller treats the same way.
CREATE FUNCTION ipn_settle(
  p_received_at TIMESTAMPTZ, p_company_id TEXT, p_booking_id TEXT, p_article_type_id INTEGER,
  p_number TEXT, p_status TEXT, p_content_type TEXT, p_content_encoding TEXT, p_query TEXT,
  p_body BYTEA, p_remote_address TEXT, p_authentic BOOLEAN, p_outcome TEXT, p_reason TEXT,
  p_replay_of BIGINT, p_duplicate_of BIGINT,
  p_expected_version INTEGER, p_fingerprint TEXT, p_payment_change TEXT,
  p_orderid TEXT, p_category TEXT, p_url TEXT, p_history BOOLEAN
) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  v_version INTEGER;
  v_callback_id BIGINT;
BEGIN
  IF p_expected_version IS NOT NULL THEN
    SELECT version INTO v_version FROM payments WHERE company_id = p_company_id AND number = p_number FOR UPDATE;
    IF COALESCE(v_version, 0) <> p_expected_version THEN
      RAISE EXCEPTION 'payment % moved since it was read', p_number USING ERRCODE = 'QV409';
    END IF;
  END IF;

  INSERT INTO callbacks (received_at, company_id, booking_id, article_type_id, number, status, content_type,
                         content_encoding, query, body, remote_address, authentic, outcome, reason, replay_of, duplicate_of)
  VALUES (p_received_at, p_company_id, p_booking_id, p_article_type_id, p_number, p_status, p_content_type,
          p_content_encoding, p_query, p_body, p_remote_address, p_authentic, p_outcome, p_reason, p_replay_of, p_duplicate_of)
  RETURNING callback_id INTO v_callback_id;

  IF p_fingerprint IS NOT NULL THEN
    INSERT INTO callback_fingerprints (company_id, number, fingerprint, callback_id)
    VALUES (p_company_id, p_number, p_fingerprint, v_callback_id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the signed data of payment % was claimed since it was read', p_number USING ERRCODE = 'QV409';
    END IF;
  END IF;

  IF p_payment_change = 'create' THEN
    INSERT INTO payments (company_id, number, booking_id, article_type_id, orderid, status, category, url, created_at, updated_at, version)
    VALUES (p_company_id, p_number, p_booking_id, p_article_type_id, p_orderid, p_status, p_category, p_url, p_received_at, p_received_at, 1);
  ELSIF p_payment_change = 'update' THEN
    UPDATE payments SET booking_id = p_booking_id, article_type_id = p_article_type_id, orderid = p_orderid, status = p_status,
      category = p_category, url = p_url, updated_at = p_received_at, version = version + 1
    WHERE company_id = p_company_id AND number = p_number;
  ELSIF p_history THEN
    UPDATE payments SET version = version + 1 WHERE company_id = p_company_id AND number = p_number;
  END IF;

  IF p_history THEN
    INSERT INTO payment_history (company_id, number, status, category, outcome, callback_id, received_at)
    VALUES (p_company_id, p_number, p_status, p_category, p_outcome, v_callback_id, p_received_at);
  END IF;
  RETURN v_callback_id;
END
$$;
