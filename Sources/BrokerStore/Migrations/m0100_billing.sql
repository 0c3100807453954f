-- Billing (issue 22): monthly statements drawn from the meter ledger, adjustments approved by a
-- second administrator, and quota alerts in the partners' alerts feed.

-- A month (China time) closed, for every partner at once, after it ended. Months close in order.
CREATE TABLE billing_months (
    month       date        PRIMARY KEY CHECK (extract(day FROM month) = 1),
    closed_at   timestamptz NOT NULL,
    closed_by   text        NOT NULL,                  -- the admin certificate's subject, or os-account=…
    closed_via  text        CHECK (closed_via IN ('cli')),
    statements  integer     NOT NULL CHECK (statements >= 0),
    events      bigint      NOT NULL CHECK (events >= 0)
);

-- One partner's statement of one month: its canonical JSON exactly as served (`document`), the
-- SHA-256 of those bytes, and the partner's previous statement's, so that the statements of a
-- partner form a chain; `events_sha256` is the digest of the meter events it covers (see
-- BillingStore.eventsDigest). A statement once closed never changes: corrections are adjustment
-- lines in a later one.
CREATE TABLE billing_statements (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id      text        NOT NULL,
    month           date        NOT NULL REFERENCES billing_months (month),
    document        text        NOT NULL,
    sha256          text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    previous_sha256 text        CHECK (previous_sha256 ~ '^[0-9a-f]{64}$'),
    events          bigint      NOT NULL CHECK (events >= 0),
    events_sha256   text        NOT NULL CHECK (events_sha256 ~ '^[0-9a-f]{64}$'),
    total_fen       bigint      NOT NULL,
    UNIQUE (partner_id, month)
);
CREATE INDEX billing_statements_month ON billing_statements (month, partner_id);

CREATE TRIGGER billing_months_insert_only BEFORE UPDATE OR DELETE ON billing_months
    FOR EACH ROW EXECUTE FUNCTION insert_only_refuse_change();
CREATE TRIGGER billing_months_no_truncate BEFORE TRUNCATE ON billing_months
    FOR EACH STATEMENT EXECUTE FUNCTION insert_only_refuse_change();
CREATE TRIGGER billing_statements_insert_only BEFORE UPDATE OR DELETE ON billing_statements
    FOR EACH ROW EXECUTE FUNCTION insert_only_refuse_change();
CREATE TRIGGER billing_statements_no_truncate BEFORE TRUNCATE ON billing_statements
    FOR EACH STATEMENT EXECUTE FUNCTION insert_only_refuse_change();

-- A correction of a closed month: proposed by a system administrator with a reason, approved or
-- rejected by a security administrator who is not the proposer, and once approved carried as an
-- adjustment line by the partner's next statement (`statement_id`).
CREATE TABLE billing_adjustments (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id           text        NOT NULL,
    corrects_month       date        NOT NULL REFERENCES billing_months (month),
    amount_fen           bigint      NOT NULL CHECK (amount_fen <> 0),
    reason               text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    proposed_at          timestamptz NOT NULL,
    proposer_fingerprint text        NOT NULL,
    proposer_subject     text        NOT NULL,
    status               text        NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
    decided_at           timestamptz,
    decider_fingerprint  text,
    decider_subject      text,
    decision_reason      text,
    statement_id         bigint      REFERENCES billing_statements (id),
    CHECK ((status = 'proposed') = (decided_at IS NULL)),
    CHECK (statement_id IS NULL OR status = 'approved')
);
CREATE INDEX billing_adjustments_pending ON billing_adjustments (partner_id) WHERE status = 'approved' AND statement_id IS NULL;

-- An adjustment is decided once, and carried by one statement once; nothing else of it changes.
CREATE FUNCTION billing_adjustments_change_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.partner_id, NEW.corrects_month, NEW.amount_fen, NEW.reason, NEW.proposed_at, NEW.proposer_fingerprint, NEW.proposer_subject)
           IS NOT DISTINCT FROM
           (OLD.partner_id, OLD.corrects_month, OLD.amount_fen, OLD.reason, OLD.proposed_at, OLD.proposer_fingerprint, OLD.proposer_subject)
       AND ((OLD.status = 'proposed' AND NEW.statement_id IS NULL)
            OR (OLD.status = 'approved' AND OLD.statement_id IS NULL AND NEW.statement_id IS NOT NULL
                AND (NEW.status, NEW.decided_at, NEW.decider_fingerprint, NEW.decider_subject, NEW.decision_reason)
                    IS NOT DISTINCT FROM (OLD.status, OLD.decided_at, OLD.decider_fingerprint, OLD.decider_subject, OLD.decision_reason)))
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a billing adjustment is decided once and carried once, never rewritten (% on %)', TG_OP, OLD.status
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER billing_adjustments_changed_once BEFORE UPDATE OR DELETE ON billing_adjustments
    FOR EACH ROW EXECUTE FUNCTION billing_adjustments_change_once();
CREATE TRIGGER billing_adjustments_no_truncate BEFORE TRUNCATE ON billing_adjustments
    FOR EACH STATEMENT EXECUTE FUNCTION insert_only_refuse_change();

-- Quota alerts: a partner crossed 80 % or 100 % of its daily or monthly quota. They join the
-- partner's alerts feed (`partner_alerts`, drawn from record_change_seq under the merge lock like
-- every alert), once per partner, period and threshold whatever the number of gateway processes:
-- the unique index below is what says "once".
ALTER TABLE partner_alerts DROP CONSTRAINT partner_alerts_change_check;
ALTER TABLE partner_alerts ADD CONSTRAINT partner_alerts_change_check CHECK (change IN ('consent_revoked', 'quota_threshold'));
ALTER TABLE partner_alerts
    ALTER COLUMN consent_id DROP NOT NULL,
    ALTER COLUMN reason DROP NOT NULL,
    ALTER COLUMN subject_key DROP NOT NULL,
    ALTER COLUMN subject_kind DROP NOT NULL,
    ALTER COLUMN subject_label DROP NOT NULL,
    ADD COLUMN quota_period text CHECK (quota_period IN ('day', 'month')),
    ADD COLUMN period_start date,
    ADD COLUMN threshold    smallint CHECK (threshold IN (80, 100)),
    ADD COLUMN quota_limit  bigint CHECK (quota_limit > 0),
    ADD COLUMN quota_used   bigint CHECK (quota_used >= 0);
ALTER TABLE partner_alerts ADD CONSTRAINT partner_alerts_shape CHECK (
    CASE change
        WHEN 'consent_revoked' THEN consent_id IS NOT NULL AND reason IS NOT NULL AND subject_key IS NOT NULL
                                    AND subject_kind IS NOT NULL AND subject_label IS NOT NULL AND quota_period IS NULL
        ELSE quota_period IS NOT NULL AND period_start IS NOT NULL AND threshold IS NOT NULL AND quota_limit IS NOT NULL
             AND quota_used IS NOT NULL AND subject_key IS NULL AND consent_id IS NULL
    END);
CREATE UNIQUE INDEX partner_alerts_quota_once ON partner_alerts (partner_id, quota_period, period_start, threshold)
    WHERE change = 'quota_threshold';
CREATE INDEX partner_alerts_quota ON partner_alerts (change_seq) WHERE change = 'quota_threshold';
