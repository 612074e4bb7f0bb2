-- Secrets are sealed (AES-256-GCM, see src/secrets) from now on; plaintext rows are sealed by the
-- store when it opens. The key id names the key that sealed them.
ALTER TABLE companies ADD COLUMN secret_key_id TEXT;
-- The secret before the last rotation, accepted until it expires (Qvickly retries for months).
ALTER TABLE companies ADD COLUMN previous_secret TEXT;
ALTER TABLE companies ADD COLUMN previous_secret_expires_at TIMESTAMPTZ;
-- Callback URLs must be signed for new companies; companies that exist now keep taking unsigned
-- ones, so checkouts already in flight keep working.
ALTER TABLE companies ADD COLUMN callback_urls TEXT NOT NULL DEFAULT 'any';
-- A Qvickly test account: requests to Qvickly's API carry credentials.test.
ALTER TABLE companies ADD COLUMN qvickly_test BOOLEAN NOT NULL DEFAULT false;
-- Which of the company's secrets verified the callback: current or previous.
ALTER TABLE callbacks ADD COLUMN secret_used TEXT;
