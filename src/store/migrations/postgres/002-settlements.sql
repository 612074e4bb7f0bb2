-- A request's Content-Encoding decides how its body is decoded, so a replay needs it too.
ALTER TABLE callbacks ADD COLUMN content_encoding TEXT;
-- A duplicate keeps no body of its own: it points at the first copy, which has it.
ALTER TABLE callbacks ADD COLUMN duplicate_of BIGINT;
-- Every write to a payment or its history moves its version: a settlement decided on one version
-- commits only while the payment is still at it.
ALTER TABLE payments ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- The inbox row of the first copy of each signed data (NULL for rows older than this column).
ALTER TABLE callback_fingerprints ADD COLUMN callback_id BIGINT;
