-- Live contracts: the database is the source of truth for the contracts in force.
--
-- A change to a partner's contract is proposed (by the system administrator, through the admin API,
-- or by `credit-broker contracts apply` from reviewed files), approved or rejected by a security
-- administrator who is not its proposer, and on approval becomes a row of `contract_versions` that
-- may govern from `effective_from`. Which version governs a partner at an instant is decided by one
-- rule (BrokerCore's ContractLedger): among the versions in effect by then, the one whose term holds
-- the day (China time), the latest to take effect if several do. A partner's status (suspended,
-- retired, active again) is a row of `partner_status_changes`. Every step is in the admin audit chain,
-- in the same transaction. Each change sends NOTIFY credit_broker_contracts, and every gateway process
-- re-reads the ledger (and checks every second in case a notification was missed).

-- Versions activated before this migration (by `contracts apply`) took effect when they were applied.
ALTER TABLE contract_versions ADD COLUMN effective_from timestamptz;
ALTER TABLE contract_versions ADD COLUMN proposal_id bigint;
ALTER TABLE contract_versions DISABLE TRIGGER contract_versions_no_update_delete;
UPDATE contract_versions SET effective_from = applied_at;
ALTER TABLE contract_versions ENABLE TRIGGER contract_versions_no_update_delete;
ALTER TABLE contract_versions ALTER COLUMN effective_from SET NOT NULL;

CREATE FUNCTION insert_only_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is insert-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TABLE contract_proposals (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id           text        NOT NULL,
    -- onboard: a partner without any version; amend: a new version of a partner's contract;
    -- retire: end the partnership (no contract body).
    kind                 text        NOT NULL CHECK (kind IN ('onboard', 'amend', 'retire')),
    label                text,
    digest               text        CHECK (digest ~ '^[0-9a-f]{64}$'),
    term_from            date,
    term_to              date,
    -- The contract with its kind's defaults applied (what the engine compiles), and the document as
    -- proposed (YAML or JSON, what reviewers read).
    body                 jsonb,
    document             text,
    -- NULL: takes effect when approved.
    effective_from       timestamptz,
    -- The partner's newest activated version when proposed; approving after another version was
    -- activated would silently undo it, so the proposal is then stale.
    base_version_id      bigint,
    reason               text        NOT NULL DEFAULT '',
    proposed_at          timestamptz NOT NULL,
    proposer_fingerprint text        NOT NULL,
    proposer_subject     text        NOT NULL,
    proposer_via         text        CHECK (proposer_via IN ('cli')),
    status               text        NOT NULL DEFAULT 'proposed'
                                     CHECK (status IN ('proposed', 'approved', 'rejected', 'stale')),
    decided_at           timestamptz,
    decider_fingerprint  text,
    decider_subject      text,
    decision_reason      text,
    version_id           bigint      REFERENCES contract_versions (id),
    CHECK ((kind = 'retire') = (body IS NULL)),
    CHECK ((status = 'proposed') = (decided_at IS NULL))
);
CREATE INDEX contract_proposals_partner ON contract_proposals (partner_id, id);
CREATE INDEX contract_proposals_open ON contract_proposals (status) WHERE status = 'proposed';

-- A proposal is decided once: only an open proposal may change, and only its decision.
CREATE FUNCTION contract_proposals_decide_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.status <> 'proposed'
       OR (NEW.partner_id, NEW.kind, NEW.label, NEW.digest, NEW.body, NEW.document, NEW.effective_from,
           NEW.base_version_id, NEW.proposed_at, NEW.proposer_fingerprint, NEW.proposer_subject)
          IS DISTINCT FROM
          (OLD.partner_id, OLD.kind, OLD.label, OLD.digest, OLD.body, OLD.document, OLD.effective_from,
           OLD.base_version_id, OLD.proposed_at, OLD.proposer_fingerprint, OLD.proposer_subject) THEN
        RAISE EXCEPTION 'a contract proposal is decided once and never rewritten (% on %)', TG_OP, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER contract_proposals_decided_once BEFORE UPDATE OR DELETE ON contract_proposals
    FOR EACH ROW EXECUTE FUNCTION contract_proposals_decide_once();
CREATE TRIGGER contract_proposals_no_truncate BEFORE TRUNCATE ON contract_proposals
    FOR EACH STATEMENT EXECUTE FUNCTION insert_only_refuse_change();

CREATE TABLE partner_status_changes (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id        text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('active', 'suspended', 'retired')),
    at                timestamptz NOT NULL,
    reason            text        NOT NULL,
    actor_fingerprint text        NOT NULL,
    actor_subject     text        NOT NULL,
    via               text        CHECK (via IN ('cli')),
    proposal_id       bigint      REFERENCES contract_proposals (id)
);
CREATE INDEX partner_status_changes_partner ON partner_status_changes (partner_id, id);
CREATE TRIGGER partner_status_changes_no_update_delete BEFORE UPDATE OR DELETE ON partner_status_changes
    FOR EACH ROW EXECUTE FUNCTION insert_only_refuse_change();
CREATE TRIGGER partner_status_changes_no_truncate BEFORE TRUNCATE ON partner_status_changes
    FOR EACH STATEMENT EXECUTE FUNCTION insert_only_refuse_change();

-- The gateway processes serving from this database, and the ledger each one has loaded: an admin
-- change waits (briefly) until every live process serves it, and says how many do.
CREATE TABLE gateway_processes (
    process_id  text        PRIMARY KEY,
    host        text        NOT NULL,
    pid         integer     NOT NULL,
    started_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL,
    -- The ledger loaded: the newest contract_versions id and partner_status_changes id it holds.
    version_id  bigint      NOT NULL,
    status_id   bigint      NOT NULL
);
