-- Per-table privileges of the runtime roles, run by credit_broker_owner after every
-- `credit-broker migrate` (the migrate unit does it), so that a table added by a migration is
-- decided here before any gateway uses it:
--     psql "$OWNER_DATABASE_URL" -v ON_ERROR_STOP=1 -f grants.sql
-- It starts from nothing each time (REVOKE ALL), so the result is exactly what this file says.
-- The last block fails if a table of the schema is not named in it.
BEGIN;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM credit_broker_gateway, credit_broker_ingest, PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM credit_broker_gateway, credit_broker_ingest, PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM credit_broker_gateway, credit_broker_ingest, PUBLIC;

-- ---- credit_broker_gateway: `credit-broker serve` ----
-- /readyz and the start-up check compare the applied migrations with the binary's.
GRANT SELECT ON schema_migrations TO credit_broker_gateway;
-- Served data: read only.
GRANT SELECT ON subjects TO credit_broker_gateway;
-- The daily disclosure sweep (DisclosureSweep) moves records whose window opened or closed to the
-- end of the change feed: it may renumber a record, never change what it says. Its UPDATE fires
-- the records triggers, which append to record_versions and watched_changes in the same statement.
-- A dispute filed through the portal, or answered through the admin API, marks the record and
-- moves its status (disputed, active again, withdrawn), with the status event in record_events.
GRANT SELECT, UPDATE (change_seq, changed_at, status, marks) ON records TO credit_broker_gateway;
GRANT SELECT, INSERT ON record_events TO credit_broker_gateway;
-- A dispute's text is sealed (SM4): an answer through the admin API seals its note and the rest
-- again under the newest key; `credit-broker reseal` (as this role or the owner) moves older rows to it.
GRANT SELECT, INSERT, UPDATE (state, outcome, resolved_at, resolved_via, resolution_note, feed_seq, reason, statement, sealing_key,
                              reason_sealed, statement_sealed, resolution_note_sealed) ON disputes TO credit_broker_gateway;
GRANT SELECT, INSERT ON record_versions, watched_changes TO credit_broker_gateway;
GRANT SELECT, UPDATE ON disclosure_sweeps TO credit_broker_gateway;
GRANT USAGE ON SEQUENCE record_change_seq TO credit_broker_gateway;   -- the sweep and new watches draw from it
-- The two ledgers: appended to and read, never updated or deleted (the triggers of m0020 and
-- m0060 refuse that too, but a role without the privilege never reaches them).
GRANT SELECT, INSERT ON meter_events, admin_audit TO credit_broker_gateway;
-- Partner state the API changes.
GRANT SELECT, INSERT, UPDATE ON quota_counters TO credit_broker_gateway;
GRANT EXECUTE ON FUNCTION quota_reserve(text, date, date, bigint, bigint, bigint),
                          quota_reserve_up_to(text, date, date, bigint, bigint, bigint),
                          quota_reserve_held(text, date, date, text[], bigint, bigint, text),
                          quota_release_holds(text[]),
                          quota_reserve_inflight(text, date, date, bigint, bigint, bigint, text),
                          quota_release_inflight(text, text, date, date, bigint, bigint, bigint, text[]),
                          quota_server_started(),
                          quota_sweep_inflight(text[], text),
                          -- Quota leases (m0105): units reserved ahead for a process, and given back.
                          quota_reserve_lease(text, date, date, bigint, bigint, bigint, text, bigint, bigint),
                          quota_return_lease(text, text, date, date, bigint, bigint, bigint, bigint),
                          quota_lock_count(text, text, date, date, bigint, bigint, bigint),
                          quota_give_back(text, text, date, date, bigint, bigint) TO credit_broker_gateway;
-- Each process's units in flight (taken by reservations, settled by meter events and releases,
-- ended by the sweep when the process is gone), the request ids whose units were given back, and
-- the per-request holds of processes older than quota_inflight (the sweep gives those back).
GRANT SELECT, INSERT, UPDATE, DELETE ON quota_inflight TO credit_broker_gateway;
GRANT USAGE ON SEQUENCE quota_inflight_generation TO credit_broker_gateway;   -- a new count's generation
GRANT SELECT, INSERT, DELETE ON quota_released TO credit_broker_gateway;
GRANT SELECT, INSERT, DELETE ON quota_holds TO credit_broker_gateway;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO credit_broker_gateway;
GRANT SELECT, INSERT, UPDATE (uses, used_up_at, revoked_at, revoked_reason, valid_to) ON consents TO credit_broker_gateway;
GRANT SELECT, INSERT ON consent_extensions, partner_alerts TO credit_broker_gateway;
-- Each page of the change feed and the alerts counts its deliveries per subject (who queried me).
GRANT SELECT, INSERT, UPDATE ON stream_deliveries TO credit_broker_gateway;
GRANT SELECT, INSERT, DELETE ON watchlist TO credit_broker_gateway;
GRANT SELECT, INSERT, UPDATE ON batch_reviews, batch_review_subjects TO credit_broker_gateway;
-- The admin API issues and revokes agencies' keys: a key's hash is never changed once stored.
GRANT SELECT, INSERT, UPDATE (revoked_at) ON api_keys TO credit_broker_gateway;
-- The contract ledger: the gateway reads it (every process serves what it holds), and its admin
-- API appends to it: proposals (decided once: only the decision's columns change), versions and
-- status changes (insert-only). The first gateway on an empty database seeds it.
GRANT SELECT, INSERT ON contract_versions, partner_status_changes TO credit_broker_gateway;
GRANT SELECT, INSERT, UPDATE (status, decided_at, decider_fingerprint, decider_subject, decision_reason, version_id)
    ON contract_proposals TO credit_broker_gateway;
-- Each process reports the ledger it serves.
GRANT SELECT, INSERT, UPDATE, DELETE ON gateway_processes TO credit_broker_gateway;
-- Billing: the admin API closes a month (statements are insert-only, like the months), and
-- adjustments are decided once and carried once (the trigger of m0100 refuses anything else).
GRANT SELECT, INSERT ON billing_months, billing_statements TO credit_broker_gateway;
GRANT SELECT, INSERT, UPDATE (status, decided_at, decider_fingerprint, decider_subject, decision_reason, statement_id)
    ON billing_adjustments TO credit_broker_gateway;

-- ---- credit_broker_ingest: `credit-broker ingest` (RecordWriter) ----
GRANT SELECT ON schema_migrations TO credit_broker_ingest;                 -- it checks the schema is current
GRANT SELECT, INSERT, UPDATE ON subjects, records TO credit_broker_ingest;
GRANT SELECT, INSERT ON record_events TO credit_broker_ingest;
GRANT INSERT ON record_versions, watched_changes TO credit_broker_ingest;  -- the records triggers
GRANT SELECT ON watchlist TO credit_broker_ingest;                         -- which changes are watched
GRANT USAGE ON SEQUENCE record_change_seq TO credit_broker_ingest;
GRANT EXECUTE ON FUNCTION record_status_after(text, text) TO credit_broker_ingest;
-- The next feed line for a disputed record answers the dispute (the records_answer_dispute trigger).
GRANT SELECT, UPDATE (state, outcome, resolved_at, resolved_via, feed_seq) ON disputes TO credit_broker_ingest;

-- Every table must be named above (or here, as the owner's alone).
DO $$
DECLARE
    decided text[] := ARRAY[
        'schema_migrations', 'subjects', 'records', 'record_events', 'record_versions', 'watched_changes',
        'disclosure_sweeps', 'meter_events', 'admin_audit', 'quota_counters', 'idempotency_keys', 'consents',
        'watchlist', 'batch_reviews', 'batch_review_subjects', 'api_keys',
        'contract_versions', 'contract_proposals', 'partner_status_changes', 'gateway_processes',
        'disputes', 'consent_extensions', 'partner_alerts', 'stream_deliveries', 'quota_holds', 'quota_inflight', 'quota_released',
        'billing_months', 'billing_statements', 'billing_adjustments'
    ];
    missing text;
BEGIN
    SELECT string_agg(tablename, ', ' ORDER BY tablename) INTO missing
    FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL (decided);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'grants.sql does not say which role may use: % (add the table to grants.sql)', missing;
    END IF;
    -- The quota functions are the gateway's: one a migration adds must be granted above.
    SELECT string_agg(p.proname, ', ' ORDER BY p.proname) INTO missing
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.proname LIKE 'quota\_%' AND NOT has_function_privilege('credit_broker_gateway', p.oid, 'EXECUTE');
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'grants.sql does not let the gateway run: % (add the function to grants.sql)', missing;
    END IF;
END
$$;

COMMIT;
