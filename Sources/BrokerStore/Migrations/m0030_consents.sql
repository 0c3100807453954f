-- Consents (授权) a partner registered for a subject (issue 4). Every query names the partner: no
-- partner reads, uses or revokes another's consent. A person is stored only as the person key; the
-- masked identifier kept beside it is what the consent's owner is shown.
CREATE TABLE consents (
    consent_id      text        PRIMARY KEY CHECK (consent_id ~ '^cs_[0-9a-f]{32}$'),
    partner_id      text        NOT NULL,
    subject_key     text        NOT NULL,                 -- USCC, or the PersonKey's 64 hex digits
    subject_masked  text        NOT NULL,
    purposes        text[]      NOT NULL CHECK (cardinality(purposes) > 0),
    items           text[]      NOT NULL,
    categories      text[]      NOT NULL CHECK (cardinality(items) + cardinality(categories) > 0),
    valid_from      timestamptz NOT NULL,
    valid_to        timestamptz NOT NULL CHECK (valid_to > valid_from),
    max_uses        integer     CHECK (max_uses > 0),     -- NULL: unlimited
    uses            integer     NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= coalesce(max_uses, uses)),
    document_sha256 text        NOT NULL CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);
CREATE INDEX consents_partner_subject ON consents (partner_id, subject_key);
