-- Credential and contract changes made on the broker's host with the command line (`credit-broker
-- keys issue`, `keys revoke`, the demo's first keys) go into the same audit chain as the admin
-- API's. Such a row says `via = 'cli'`; its actor is the operating-system account that ran the
-- command (there is no certificate, so no fingerprint), and its status is the one the admin API
-- would have answered for the same change. Rows of the admin API keep `via` NULL, which the
-- chain's canonical encoding omits, so every hash written before this migration still holds.
ALTER TABLE admin_audit ADD COLUMN via text CHECK (via IN ('cli'));
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_actor_fingerprint_check;
ALTER TABLE admin_audit ADD CONSTRAINT admin_audit_actor_check CHECK (
    (via IS NULL AND actor_fingerprint ~ '^[0-9a-f]{64}$') OR (via = 'cli' AND actor_fingerprint = '')
);
