-- Batch reviews (信用审查): a partner's list of up to 10,000 subjects, decided once at submission
-- and processed in the background by a worker in any gateway process. Everything is scoped to the
-- partner: every query names partner_id.
CREATE TABLE batch_reviews (
    partner_id     text        NOT NULL,
    id             text        NOT NULL,
    status         text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    -- The decision made at submission (purpose, items disclosed and withheld, contract version,
    -- masking profile), as the gateway encoded it.
    decision       jsonb       NOT NULL,
    total          integer     NOT NULL CHECK (total BETWEEN 1 AND 10000),
    done           integer     NOT NULL DEFAULT 0 CHECK (done BETWEEN 0 AND total),
    -- The quota periods the submission reserved `total` units in; the units of subjects that were
    -- not processed go back to them when the batch fails.
    quota_day      date        NOT NULL,
    quota_month    date        NOT NULL,
    -- A worker holds a running batch until lease_until; an expired lease lets another take it over.
    lease_until    timestamptz,
    failures       integer     NOT NULL DEFAULT 0,
    failure        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    PRIMARY KEY (partner_id, id),
    UNIQUE (id)
);

-- Workers look for queued batches and expired leases, oldest first.
CREATE INDEX batch_reviews_unfinished ON batch_reviews (created_at) WHERE status IN ('queued', 'running');

-- One row per submitted subject, by its index in the submitted list. subject_key is the USCC or
-- the PersonKey hex (never a clear ID number); label is what the partner sees (USCC, or the ID
-- number masked with the partner's profile). result is the masked answer, set once the subject's
-- meter event is committed.
CREATE TABLE batch_review_subjects (
    partner_id  text    NOT NULL,
    batch_id    text    NOT NULL,
    position    integer NOT NULL,
    subject_key text    NOT NULL,
    kind        text    NOT NULL CHECK (kind IN ('organisation', 'person')),
    label       text    NOT NULL,
    result      jsonb,
    indicators  text[]  NOT NULL DEFAULT '{}',
    PRIMARY KEY (partner_id, batch_id, position),
    FOREIGN KEY (partner_id, batch_id) REFERENCES batch_reviews (partner_id, id) ON DELETE CASCADE
);

-- The worker's next chunk: the unprocessed subjects of a batch in list order.
CREATE INDEX batch_review_subjects_pending ON batch_review_subjects (batch_id, position) WHERE result IS NULL;
