-- The meter ledger: one row per request that reached a partner route, committed before the
-- response is sent. Items are item ids from Policies/catalog.yaml; the subject appears only as a
-- keyed hash (HMAC-SHA-256 under the server secret), never as its identifier.
CREATE TABLE meter_events (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id      text        NOT NULL,
    request_id      text        NOT NULL UNIQUE,
    endpoint        text        NOT NULL,
    purpose         text,
    -- ["item_id", …]
    items_disclosed jsonb       NOT NULL,
    -- [{"item": "item_id", "reason": "consent_missing"}, …]
    items_withheld  jsonb       NOT NULL,
    consent_id      text,
    contract_label  text        NOT NULL,
    contract_digest text        NOT NULL,
    http_status     smallint    NOT NULL CHECK (http_status BETWEEN 100 AND 599),
    latency_us      bigint      NOT NULL CHECK (latency_us >= 0),
    response_bytes  bigint      NOT NULL CHECK (response_bytes >= 0),
    subject_hash    text        CHECK (subject_hash ~ '^[0-9a-f]{64}$'),
    occurred_at     timestamptz NOT NULL
);

CREATE INDEX meter_events_partner_time ON meter_events (partner_id, occurred_at);

-- Insert-only, whatever the role: UPDATE, DELETE and TRUNCATE raise SQLSTATE 42501.
-- In production the application's role should in addition hold only these privileges
-- (the table owner is a separate migration role):
--     REVOKE ALL ON meter_events FROM credit_broker_app;
--     GRANT SELECT, INSERT ON meter_events TO credit_broker_app;
-- Retention (dropping old rows) is an owner's job: ALTER TABLE meter_events DISABLE TRIGGER …
CREATE FUNCTION meter_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'meter_events is insert-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER meter_events_no_update_delete BEFORE UPDATE OR DELETE ON meter_events
    FOR EACH ROW EXECUTE FUNCTION meter_events_refuse_change();
CREATE TRIGGER meter_events_no_truncate BEFORE TRUNCATE ON meter_events
    FOR EACH STATEMENT EXECUTE FUNCTION meter_events_refuse_change();
