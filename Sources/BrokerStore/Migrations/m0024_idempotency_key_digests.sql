-- Idempotency keys are stored as their keyed hash (HMAC-SHA-256 under the person-key secret, 64
-- lowercase hex digits; `IdempotencyKey`), never as the text a partner sent, which may hold an ID
-- number. Rows written before held the text itself and cannot be re-keyed here (the secret never
-- reaches the database), so they are removed: each is a cached answer for a retry within 24 hours,
-- and a retry of a request made before the upgrade runs afresh.
DELETE FROM idempotency_keys;

ALTER TABLE idempotency_keys
    ADD CONSTRAINT idempotency_keys_key_is_digest CHECK (key ~ '^[0-9a-f]{64}$');
