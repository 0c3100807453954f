-- Superseded versions of records (issue 3): what the broker held for a record at any moment.
--
-- records keeps the current version of each (source, source_record_id); every UPDATE of a record
-- (a new version from a feed, or a status event) first keeps the row it replaces here, in the
-- same statement, stamped with the time it stopped being held. A record's history is its rows
-- here plus its current row; status events stay in record_events.

-- A record's first change_seq may be drawn by COPY straight into records (the ingest's fast
-- path): the default draws it, under the same advisory lock as every other change.
ALTER TABLE records ALTER COLUMN change_seq SET DEFAULT nextval('record_change_seq');

CREATE TABLE record_versions (
    subject_key      text        NOT NULL,
    item             text        NOT NULL,
    source           text        NOT NULL,
    source_record_id text        NOT NULL,
    decision_date    date,
    publicity_start  date,
    publicity_end    date,
    disclose_from    date,
    disclose_until   date,
    status           text        NOT NULL,
    fields           jsonb       NOT NULL,
    version          integer     NOT NULL,
    -- The version's own change_seq (unique: every change draws a new one).
    change_seq       bigint      NOT NULL,
    -- Held from held_from (the version's changed_at) until held_until (when it was superseded).
    held_from        timestamptz NOT NULL,
    held_until       timestamptz NOT NULL,
    PRIMARY KEY (subject_key, item, source, source_record_id, change_seq)
);

CREATE INDEX record_versions_by_record ON record_versions (source, source_record_id, change_seq);

CREATE FUNCTION records_keep_superseded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO record_versions (subject_key, item, source, source_record_id, decision_date, publicity_start,
                                 publicity_end, disclose_from, disclose_until, status, fields, version, change_seq,
                                 held_from, held_until)
    SELECT o.subject_key, o.item, o.source, o.source_record_id, o.decision_date, o.publicity_start, o.publicity_end,
           o.disclose_from, o.disclose_until, o.status, o.fields, o.version, o.change_seq, o.changed_at, now()
    FROM superseded o JOIN replacing n USING (subject_key, item, source, source_record_id)
    -- A change that only moves the record in the feed (the daily disclosure sweep) is no new version.
    WHERE (o.version, o.status, o.fields, o.decision_date, o.publicity_start, o.publicity_end, o.disclose_from, o.disclose_until)
          IS DISTINCT FROM
          (n.version, n.status, n.fields, n.decision_date, n.publicity_start, n.publicity_end, n.disclose_from, n.disclose_until);
    RETURN NULL;
END
$$;

-- Set-based: one INSERT per UPDATE statement (the ingest's merge and its event rounds).
CREATE TRIGGER records_keep_superseded AFTER UPDATE ON records
    REFERENCING OLD TABLE AS superseded NEW TABLE AS replacing
    FOR EACH STATEMENT EXECUTE FUNCTION records_keep_superseded();

-- Insert-only, whatever the role: UPDATE, DELETE and TRUNCATE raise SQLSTATE 42501.
CREATE FUNCTION record_versions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'record_versions is insert-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER record_versions_no_update_delete BEFORE UPDATE OR DELETE ON record_versions
    FOR EACH ROW EXECUTE FUNCTION record_versions_refuse_change();
CREATE TRIGGER record_versions_no_truncate BEFORE TRUNCATE ON record_versions
    FOR EACH STATEMENT EXECUTE FUNCTION record_versions_refuse_change();
