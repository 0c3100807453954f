-- Subjects and their records (issue 3).
--
-- Every subject table carries subject_key first in its primary key, so that it can later be
-- distributed by subject (Citus). A person's clear resident ID number is stored nowhere: the
-- subject key is its keyed hash (PersonKey) and only masked forms are kept beside it, in
-- subjects.masked_id and in every resident_id field of records.fields.

CREATE TABLE subjects (
    subject_key  text        PRIMARY KEY,                 -- USCC, or the PersonKey's 64 hex digits
    kind         text        NOT NULL CHECK (kind IN ('organisation', 'person')),
    display_name text,                                    -- organisation name; a person's masked name
    masked_id    text,                                    -- persons: masked ID number (never the clear one)
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- change_seq orders every insert, new version and status change. Ingest merges hold a
-- transaction-level advisory lock from their first nextval to their commit, so sequence order is
-- commit order and a change-feed reader that pages by change_seq never skips a change.
CREATE SEQUENCE record_change_seq AS bigint;

CREATE TABLE records (
    subject_key      text        NOT NULL,
    item             text        NOT NULL,
    source           text        NOT NULL,
    source_record_id text        NOT NULL,
    decision_date    date,
    publicity_start  date,
    publicity_end    date,
    -- The disclosure window computed at ingest from the item's catalog rule: disclosed on days
    -- d with disclose_from <= d < disclose_until; NULL means no bound on that side.
    disclose_from    date,
    disclose_until   date,
    status           text        NOT NULL DEFAULT 'active'
                                 CHECK (status IN ('active', 'repaired', 'disputed', 'withdrawn')),
    fields           jsonb       NOT NULL,
    -- 1 for the first version; a new version of (source, source_record_id) supersedes the
    -- stored one in place and counts up.
    version          integer     NOT NULL DEFAULT 1,
    change_seq       bigint      NOT NULL,
    changed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_key, item, source, source_record_id),
    UNIQUE (source, source_record_id)
);

-- The change feed pages through records in change_seq order.
CREATE UNIQUE INDEX records_change_seq ON records (change_seq);

-- Status events (credit repair, objections, withdrawals) as received: an event already recorded
-- is not applied twice, so re-ingesting a feed changes nothing.
CREATE TABLE record_events (
    source           text        NOT NULL,
    source_record_id text        NOT NULL,
    event            text        NOT NULL CHECK (event IN ('repaired', 'disputed', 'dispute_resolved', 'withdrawn')),
    event_date       date        NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, source_record_id, event, event_date)
);

-- The status a record takes after an event: repaired and withdrawn are final; a dispute can be
-- opened on an active record and resolved back to active.
CREATE FUNCTION record_status_after(status text, event text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
    WHEN status IN ('repaired', 'withdrawn') THEN status
    WHEN event IN ('repaired', 'withdrawn') THEN event
    WHEN event = 'disputed' THEN 'disputed'
    WHEN event = 'dispute_resolved' AND status = 'disputed' THEN 'active'
    ELSE status
END;
