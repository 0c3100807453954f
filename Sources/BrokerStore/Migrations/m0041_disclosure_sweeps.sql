-- Disclosure windows that open or close with the passing of days (issue 5).
--
-- A record whose window closes (publicity ended, disclosure period over) or opens without any new
-- line from the source must still reach the change feed. `DisclosureSweep` moves such records to
-- the end of the feed (a new change_seq, under the merge lock) once per day; this row remembers
-- the last day swept.
CREATE TABLE disclosure_sweeps (
    singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    swept_through date        NOT NULL,
    swept_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO disclosure_sweeps (swept_through) VALUES (current_date);

CREATE INDEX records_disclose_from ON records (disclose_from) WHERE disclose_from IS NOT NULL;
CREATE INDEX records_disclose_until ON records (disclose_until) WHERE disclose_until IS NOT NULL;
