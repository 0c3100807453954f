-- The admin audit chain: one row per request to the admin listener, allowed or refused. Each row's
-- hash is SHA-256(previous row's hash ‖ the row's canonical encoding) (AdminAuditRecord), so a row
-- changed, removed or inserted behind the application's back breaks the chain at that seq
-- (`credit-broker audit verify`). Rows are appended by AdminAuditLog under an advisory transaction
-- lock, so that concurrent requests and processes extend one chain. No secret and no personal
-- identifier is stored: actors are admin certificates, detail is a short fixed-form text.
CREATE TABLE admin_audit (
    seq               bigint      PRIMARY KEY CHECK (seq >= 1),
    occurred_at       timestamptz NOT NULL,
    actor_fingerprint text        NOT NULL CHECK (actor_fingerprint ~ '^[0-9a-f]{64}$'),
    actor_subject     text        NOT NULL,
    role              text        CHECK (role IN ('system', 'security', 'audit')),
    method            text        NOT NULL,
    path              text        NOT NULL,
    target_partner    text,
    status            smallint    NOT NULL CHECK (status BETWEEN 100 AND 599),
    detail            text        NOT NULL,
    hash              text        NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);

-- Insert-only, whatever the role, as meter_events: UPDATE, DELETE and TRUNCATE raise SQLSTATE 42501.
-- In production the application's role should hold only SELECT and INSERT on the table.
CREATE FUNCTION admin_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit is insert-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER admin_audit_no_update_delete BEFORE UPDATE OR DELETE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION admin_audit_refuse_change();
CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON admin_audit
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_refuse_change();
