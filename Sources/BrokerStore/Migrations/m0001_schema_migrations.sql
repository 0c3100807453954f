-- The migrations ledger: one row per applied migration, with a digest of its text so that a
-- migration edited after it was applied is caught instead of silently skipped.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    sha256     text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
