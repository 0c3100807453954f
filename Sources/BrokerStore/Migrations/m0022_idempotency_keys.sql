-- Idempotency keys, scoped to the partner that sent them. A key is claimed ('in_progress') for a
-- lease, then completed with the response (in the same transaction as the request's meter event)
-- and kept until `expires_at` so that a retry replays the response instead of running again.
CREATE TABLE idempotency_keys (
    partner_id       text        NOT NULL,
    key              text        NOT NULL,
    request_hash     text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('in_progress', 'completed')),
    response_status  smallint,
    -- [{"name": "content-type", "value": "application/json"}, …]
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (partner_id, key),
    CHECK (status = 'in_progress' OR (response_status IS NOT NULL AND response_headers IS NOT NULL AND response_body IS NOT NULL))
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
