-- Post-loan monitoring (issue 5): each partner's watched subjects, and the changes of watched
-- subjects that alerts are drawn from.

-- A partner knows a watched subject by its pseudonymous reference (SubjectPseudonymizer) and a
-- label: the USCC of an organisation, the masked ID number of a person (never the clear number).
CREATE TABLE watchlist (
    partner_id   text        NOT NULL,
    reference    text        NOT NULL,
    subject_key  text        NOT NULL,                  -- USCC, or the PersonKey's 64 hex digits
    kind         text        NOT NULL CHECK (kind IN ('organisation', 'person')),
    label        text        NOT NULL,
    -- A position in record_change_seq drawn under the merge lock when the subject was watched:
    -- only changes after it raise alerts for this partner.
    from_seq     bigint      NOT NULL,
    watched_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, reference)
);

CREATE INDEX watchlist_subject ON watchlist (subject_key);

-- Changes to records of watched subjects, logged by the triggers below in the merge's own
-- transaction with the record's change_seq, so they are in commit order like the change feed.
-- One row per change, whoever watches; alerts join it with the watchlist.
CREATE TABLE watched_changes (
    subject_key  text        NOT NULL,
    change_seq   bigint      NOT NULL,
    item         text        NOT NULL,
    -- listed: a new record; repaired, disputed, withdrawn: its new status; reinstated: a dispute resolved.
    change       text        NOT NULL CHECK (change IN ('listed', 'repaired', 'disputed', 'withdrawn', 'reinstated')),
    recorded_on  date        NOT NULL DEFAULT current_date,
    PRIMARY KEY (subject_key, change_seq)
);

CREATE UNIQUE INDEX watched_changes_seq ON watched_changes (change_seq);

CREATE FUNCTION log_watched_insertions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO watched_changes (subject_key, change_seq, item, change)
    SELECT n.subject_key, n.change_seq, n.item, 'listed'
    FROM inserted_records n
    WHERE n.subject_key IN (SELECT subject_key FROM watchlist);
    RETURN NULL;
END
$$;

CREATE FUNCTION log_watched_status_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO watched_changes (subject_key, change_seq, item, change)
    SELECT n.subject_key, n.change_seq, n.item, CASE n.status WHEN 'active' THEN 'reinstated' ELSE n.status END
    FROM old_records o
    JOIN new_records n ON n.source = o.source AND n.source_record_id = o.source_record_id
    WHERE n.status <> o.status AND n.subject_key IN (SELECT subject_key FROM watchlist);
    RETURN NULL;
END
$$;

-- Statement-level with transition tables: one set-based insert per merge statement.
CREATE TRIGGER records_watched_insertions AFTER INSERT ON records
    REFERENCING NEW TABLE AS inserted_records
    FOR EACH STATEMENT EXECUTE FUNCTION log_watched_insertions();

CREATE TRIGGER records_watched_status_changes AFTER UPDATE ON records
    REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records
    FOR EACH STATEMENT EXECUTE FUNCTION log_watched_status_changes();
