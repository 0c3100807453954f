-- Subjects' rights through the province's credit portal (issue 16): who queried them, disputes
-- (异议) with their deadlines and marks, and consents the subject controls.

-- Who queried me: a subject's meter events newest first, found by the subject's keyed hash only.
CREATE INDEX meter_events_subject ON meter_events (subject_hash, occurred_at DESC, id DESC)
    WHERE subject_hash IS NOT NULL;

-- A paged stream (the change feed, alerts) answers about many subjects at once, so its meter
-- event names none: each page adds here, per subject, day (China time), partner and stream, how
-- many of the subject's changes it delivered and of which items. A page that does not leave
-- (its meter event not committed) takes its counts back.
CREATE TABLE stream_deliveries (
    subject_hash text    NOT NULL CHECK (subject_hash ~ '^[0-9a-f]{64}$'),
    day          date    NOT NULL,
    partner_id   text    NOT NULL,
    stream       text    NOT NULL CHECK (stream IN ('changes', 'alerts')),
    items        text[]  NOT NULL,
    deliveries   integer NOT NULL CHECK (deliveries >= 0),
    PRIMARY KEY (subject_hash, day, partner_id, stream)
);

-- The broker's own marks on a record, merged into every answer that discloses it:
-- {"dispute": {"id", "filed", "deadline"}} while a dispute filed through the portal is open,
-- {"subject_statement": {"text", "dispute_id", "date"}} once a dispute is confirmed and the subject
-- asked for the statement to be kept beside the record. NULL for almost every record.
ALTER TABLE records ADD COLUMN marks jsonb;

-- Disputes (异议) filed through the portal on one record each. A dispute is open until the data
-- source answers it: corrected (a new version of the record), confirmed (kept as it is) or
-- withdrawn (the record is withdrawn). The answer is due by `deadline`, the 20th calendar day
-- after filing, China time. Every change of a dispute takes a new feed_seq from
-- record_change_seq under the merge lock (RecordWriter.mergeLock), so the sources' dispute feed
-- pages in commit order like the change feed.
CREATE TABLE disputes (
    dispute_id       text        PRIMARY KEY CHECK (dispute_id ~ '^dp_[0-9a-f]{32}$'),
    subject_key      text        NOT NULL,                 -- USCC, or the PersonKey's 64 hex digits
    item             text        NOT NULL,
    source           text        NOT NULL,
    source_record_id text        NOT NULL,
    record_version   integer     NOT NULL,                 -- the version disputed
    filed_by         text        NOT NULL,                 -- the portal partner
    reason           text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    statement        text        CHECK (length(statement) BETWEEN 1 AND 2000),
    keep_statement   boolean     NOT NULL DEFAULT false CHECK (NOT keep_statement OR statement IS NOT NULL),
    filed_at         timestamptz NOT NULL,
    filed_on         date        NOT NULL,                 -- China time
    deadline         date        NOT NULL CHECK (deadline > filed_on),
    state            text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    outcome          text        CHECK (outcome IN ('corrected', 'confirmed', 'withdrawn')),
    resolved_at      timestamptz,
    resolved_via     text        CHECK (resolved_via IN ('feed', 'admin')),
    resolution_note  text,
    feed_seq         bigint      NOT NULL,
    CHECK ((state = 'open') = (outcome IS NULL) AND (state = 'open') = (resolved_at IS NULL)
           AND (state = 'open') = (resolved_via IS NULL))
);
CREATE UNIQUE INDEX disputes_one_open_per_record ON disputes (source, source_record_id) WHERE state = 'open';
CREATE INDEX disputes_subject ON disputes (subject_key, filed_at DESC);
CREATE UNIQUE INDEX disputes_feed ON disputes (feed_seq);
CREATE INDEX disputes_open_deadline ON disputes (deadline) WHERE state = 'open';

-- The next line of the source's feed for a record under an open dispute answers it: a new version
-- corrects it (and the record is active again), a `dispute_resolved` event confirms it, a
-- `withdrawn` (or `repaired`) event withdraws it. The dispute is resolved and the record's mark
-- removed in the merge's own statement. Filing and the admin API change `marks` themselves, so
-- an UPDATE that changes `marks` is left alone; one that changes nothing that answers a dispute
-- (the disclosure sweep renumbering the record) too.
CREATE FUNCTION records_answer_dispute() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    answer text;
    answered disputes;
    kept jsonb;
BEGIN
    IF NEW.marks IS DISTINCT FROM OLD.marks THEN
        RETURN NEW;
    END IF;
    IF NEW.status IN ('withdrawn', 'repaired') THEN
        answer := 'withdrawn';
    ELSIF NEW.version > OLD.version THEN
        answer := 'corrected';
    ELSIF OLD.status = 'disputed' AND NEW.status = 'active' THEN
        answer := 'confirmed';
    ELSE
        RETURN NEW;
    END IF;
    UPDATE disputes
    SET state = 'resolved', outcome = answer, resolved_at = now(), resolved_via = 'feed',
        feed_seq = nextval('record_change_seq')
    WHERE dispute_id = OLD.marks -> 'dispute' ->> 'id' AND state = 'open'
    RETURNING * INTO answered;
    kept := OLD.marks - 'dispute';
    IF answer = 'confirmed' AND answered.keep_statement THEN
        kept := kept || jsonb_build_object('subject_statement', jsonb_build_object(
            'text', answered.statement, 'dispute_id', answered.dispute_id,
            'date', (now() AT TIME ZONE 'Asia/Shanghai')::date::text));
    END IF;
    NEW.marks := CASE WHEN kept = '{}'::jsonb THEN NULL ELSE kept END;
    IF answer = 'corrected' AND NEW.status = 'disputed' THEN
        NEW.status := 'active';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER records_answer_dispute BEFORE UPDATE ON records
    FOR EACH ROW WHEN (OLD.marks ? 'dispute')
    EXECUTE FUNCTION records_answer_dispute();

-- Consents the subject controls: why a consent was revoked, when its uses ran out, its extensions.
ALTER TABLE consents ADD COLUMN revoked_reason text
    CHECK (revoked_reason IN ('revoked_by_subject', 'revoked_by_partner', 'revoked_by_admin'));
UPDATE consents SET revoked_reason = 'revoked_by_partner' WHERE revoked_at IS NOT NULL;
ALTER TABLE consents ADD CONSTRAINT consents_revocation_has_reason CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL));
ALTER TABLE consents ADD COLUMN used_up_at timestamptz;
UPDATE consents SET used_up_at = created_at WHERE max_uses IS NOT NULL AND uses >= max_uses;
CREATE INDEX consents_subject ON consents (subject_key, created_at);

-- An extension by the partner holding the consent, while it is active: the term before and after,
-- and the digest of the subject's renewed authorisation. Insert-only.
CREATE TABLE consent_extensions (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consent_id      text        NOT NULL REFERENCES consents (consent_id),
    extended_at     timestamptz NOT NULL,
    valid_to_before timestamptz NOT NULL,
    valid_to        timestamptz NOT NULL CHECK (valid_to > valid_to_before),
    document_sha256 text        NOT NULL CHECK (document_sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX consent_extensions_consent ON consent_extensions (consent_id, id);
CREATE TRIGGER consent_extensions_insert_only BEFORE UPDATE OR DELETE ON consent_extensions
    FOR EACH ROW EXECUTE FUNCTION insert_only_refuse_change();

-- Alerts for one partner that are no change of a watched record: a consent it registered revoked
-- by the subject or an administrator. change_seq is drawn from record_change_seq under the merge
-- lock, so these page in the alerts feed in one order with the watched changes.
CREATE TABLE partner_alerts (
    partner_id    text        NOT NULL,
    change_seq    bigint      NOT NULL,
    change        text        NOT NULL CHECK (change IN ('consent_revoked')),
    consent_id    text        NOT NULL,
    reason        text        NOT NULL,
    subject_key   text        NOT NULL,
    subject_kind  text        NOT NULL CHECK (subject_kind IN ('organisation', 'person')),
    subject_label text        NOT NULL,                    -- the USCC, or the ID number masked as registered
    recorded_on   date        NOT NULL,
    PRIMARY KEY (partner_id, change_seq)
);
