-- A security administrator revoking a consent (POST /admin/v1/consents/{id}/revoke) must say why;
-- until now the reason was checked and dropped. It is kept, sealed as a dispute's resolution note
-- is (free text that may name a person), beside the revocation it explains: only an admin's
-- revocation has one, and a consent revoked before this migration has none.
ALTER TABLE consents
    ADD COLUMN revocation_note_sealed bytea,
    ADD COLUMN revocation_note_key text,
    ADD CONSTRAINT consents_revocation_note_keyed CHECK ((revocation_note_sealed IS NULL) = (revocation_note_key IS NULL)),
    ADD CONSTRAINT consents_revocation_note_by_admin CHECK (revocation_note_sealed IS NULL OR revoked_reason = 'revoked_by_admin');
