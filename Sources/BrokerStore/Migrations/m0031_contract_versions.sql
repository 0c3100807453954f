-- Every version of every partner contract ever applied (`credit-broker contracts apply`), so that
-- "what did partner X's contract say on day D" stays answerable. Insert-only: a new version is a
-- new row; UPDATE, DELETE and TRUNCATE raise SQLSTATE 42501.
CREATE TABLE contract_versions (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  text        NOT NULL,
    label       text        NOT NULL,                     -- the version the file states
    digest      text        NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),  -- SHA-256 of `body`
    term_from   date        NOT NULL,
    term_to     date        NOT NULL CHECK (term_to >= term_from),
    body        jsonb       NOT NULL,                     -- the contract with its kind's defaults applied
    source_file text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contract_versions_partner ON contract_versions (partner_id, term_from, id);

CREATE FUNCTION contract_versions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contract_versions is insert-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER contract_versions_no_update_delete BEFORE UPDATE OR DELETE ON contract_versions
    FOR EACH ROW EXECUTE FUNCTION contract_versions_refuse_change();
CREATE TRIGGER contract_versions_no_truncate BEFORE TRUNCATE ON contract_versions
    FOR EACH STATEMENT EXECUTE FUNCTION contract_versions_refuse_change();
