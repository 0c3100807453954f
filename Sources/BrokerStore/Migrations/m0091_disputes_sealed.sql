-- The subject's own words in a dispute, sealed at rest (issue 23): the reason, the statement and
-- the answer's note are free text about a person that staff, the data source and the subject must
-- read back, so neither a keyed hash nor a mask will do. Each is stored as SM4-CTR with HMAC-SM3
-- over it (encrypt-then-MAC, `SealingKeyring`), `nonce ‖ ciphertext ‖ tag`, under the key named in
-- `sealing_key`, the same key for every sealed value of the row. The tag binds each value to its
-- column, its dispute and the key id.
--
-- A row filed before this migration keeps its clear text until `credit-broker disputes reseal`
-- seals it and clears the clear columns (a migration has no keys). A row is either clear (no key)
-- or sealed with no clear text beside it.
ALTER TABLE disputes
    ADD COLUMN sealing_key            text  CHECK (sealing_key ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    ADD COLUMN reason_sealed          bytea CHECK (octet_length(reason_sealed) > 48),
    ADD COLUMN statement_sealed       bytea CHECK (octet_length(statement_sealed) > 48),
    ADD COLUMN resolution_note_sealed bytea CHECK (octet_length(resolution_note_sealed) > 48);
ALTER TABLE disputes ALTER COLUMN reason DROP NOT NULL;
-- m0080's check that a kept statement exists, named by PostgreSQL (it names two columns): found by
-- what it checks, and replaced by one that counts a sealed statement too.
DO $$
DECLARE
    old_check text;
BEGIN
    SELECT conname INTO STRICT old_check FROM pg_constraint
    WHERE conrelid = 'disputes'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%keep_statement%';
    EXECUTE format('ALTER TABLE disputes DROP CONSTRAINT %I', old_check);
END
$$;
ALTER TABLE disputes ADD CONSTRAINT disputes_keep_statement_check
    CHECK (NOT keep_statement OR statement IS NOT NULL OR statement_sealed IS NOT NULL);
ALTER TABLE disputes ADD CONSTRAINT disputes_sealed_or_clear CHECK (
    CASE WHEN sealing_key IS NULL
         THEN reason IS NOT NULL AND reason_sealed IS NULL AND statement_sealed IS NULL AND resolution_note_sealed IS NULL
         ELSE reason IS NULL AND statement IS NULL AND resolution_note IS NULL AND reason_sealed IS NOT NULL
    END);

-- A confirmed dispute's statement kept beside its record no longer travels in the record's marks:
-- the mark names the dispute (`subject_statement: {dispute_id, date}`) and the gateway opens the
-- sealed statement when it discloses the record. Marks written before lose their copy of the text
-- here (the dispute still holds it, clear until resealed).
CREATE OR REPLACE FUNCTION records_answer_dispute() RETURNS trigger LANGUAGE plpgsql AS $$
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
            'dispute_id', answered.dispute_id, 'date', (now() AT TIME ZONE 'Asia/Shanghai')::date::text));
    END IF;
    NEW.marks := CASE WHEN kept = '{}'::jsonb THEN NULL ELSE kept END;
    IF answer = 'corrected' AND NEW.status = 'disputed' THEN
        NEW.status := 'active';
    END IF;
    RETURN NEW;
END
$$;

UPDATE records SET marks = jsonb_set(marks, '{subject_statement}', (marks -> 'subject_statement') - 'text')
WHERE marks -> 'subject_statement' ? 'text';
