-- Whether a callback's booking came from a signed callback URL, and whether a payment's booking
-- has been confirmed by one. Payments from before signed URLs were all routed unsigned.
ALTER TABLE callbacks ADD COLUMN routing TEXT;
ALTER TABLE payments ADD COLUMN routing TEXT NOT NULL DEFAULT 'unsigned';
