-- What the broker keeps of an answer so that it can give it again holds what the partner was
-- sent, which may carry a statement a subject asked kept beside a confirmed record: the response
-- kept for a retry under an idempotency key (24 hours) and a batch review's per-subject result
-- (until the batch is deleted). From this migration on both are sealed like the dispute the
-- statement came from (SM4-CTR with HMAC-SM3), the id of the sealing key beside them.
--
-- A migration has no keys: rows written before it stay clear until `credit-broker reseal` seals
-- them (a row is clear or sealed, never both).

-- response_body is sealed when response_key names its key, clear when response_key is NULL.
ALTER TABLE idempotency_keys
    ADD COLUMN response_key text,
    ADD CONSTRAINT idempotency_keys_sealed_body CHECK (response_key IS NULL OR response_body IS NOT NULL);

ALTER TABLE batch_review_subjects
    ADD COLUMN result_sealed bytea,
    ADD COLUMN result_key    text,
    ADD CONSTRAINT batch_review_subjects_sealed_with_key CHECK ((result_sealed IS NULL) = (result_key IS NULL)),
    ADD CONSTRAINT batch_review_subjects_clear_or_sealed CHECK (result IS NULL OR result_sealed IS NULL);

-- The worker's next chunk: subjects with no result yet, clear or sealed.
DROP INDEX batch_review_subjects_pending;
CREATE INDEX batch_review_subjects_pending ON batch_review_subjects (batch_id, position)
    WHERE result IS NULL AND result_sealed IS NULL;
