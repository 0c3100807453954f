-- Partner API keys: the secret itself is never stored, only its SHA-256. A partner may hold several
-- active keys (rotation); a key is found by its id and stops working when it expires or is revoked.
CREATE TABLE api_keys (
    key_id        text        PRIMARY KEY CHECK (key_id ~ '^ak_[0-9a-f]{16}$'),
    partner_id    text        NOT NULL,
    secret_sha256 bytea       NOT NULL CHECK (octet_length(secret_sha256) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_partner ON api_keys (partner_id);
