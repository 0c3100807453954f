-- The admin audit chain's link digest, chosen per installation (issue 23): SHA-256, or SM3
-- (GB/T 32905) where the installation is assessed on its use of the national algorithms. The
-- choice is made once, before the chain's first row, and recorded in that row (`digest`, covered by
-- the row's own hash); every link of the chain uses it. The column is NULL on every other row and
-- on the first row of a SHA-256 chain, and the canonical encoding omits it when NULL, so every hash
-- written before this migration still holds.
ALTER TABLE admin_audit ADD COLUMN digest text CHECK (digest IN ('sm3'));
ALTER TABLE admin_audit ADD CONSTRAINT admin_audit_digest_on_first_row CHECK (digest IS NULL OR seq = 1);
