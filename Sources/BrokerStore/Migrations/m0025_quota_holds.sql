-- A quota unit taken for a request whose answer has not left yet. The unit is already counted in
-- quota_counters; this row says which request holds it and which gateway process serves that
-- request. The request's meter event deletes the row in the statement that inserts the event (the
-- unit is spent); an answer that does not leave gives the unit back and deletes the row
-- (quota_release_holds). A process that dies mid-request (kill -9, a lost machine) leaves its rows
-- behind; another process gives their units back once it knows the holder is gone, so the counters
-- come back to the committed billable events.
CREATE TABLE quota_holds (
    request_id  text        PRIMARY KEY,
    partner_id  text        NOT NULL,
    day         date        NOT NULL,
    month       date        NOT NULL,
    units       bigint      NOT NULL CHECK (units > 0),
    process_id  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX quota_holds_process ON quota_holds (process_id);

-- Reserves one unit for each of `p_request_ids`, in order, exactly as quota_reserve_up_to does
-- (the first `granted` get one), and holds each granted unit for its request and `p_process`.
CREATE FUNCTION quota_reserve_held(
    p_partner text, p_day date, p_month date, p_request_ids text[], p_day_limit bigint, p_month_limit bigint, p_process text,
    OUT granted bigint, OUT exhausted text, OUT day_used bigint, OUT month_used bigint
) LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.granted, r.exhausted, r.day_used, r.month_used INTO granted, exhausted, day_used, month_used
    FROM quota_reserve_up_to(p_partner, p_day, p_month, cardinality(p_request_ids), p_day_limit, p_month_limit) AS r;
    IF granted > 0 THEN
        INSERT INTO quota_holds (request_id, partner_id, day, month, units, process_id)
        SELECT id, p_partner, p_day, p_month, 1, p_process FROM unnest(p_request_ids[1:granted]) AS id;
    END IF;
END
$$;

-- Deletes the holds named (those still there) and gives their units back; returns the units. A
-- partner's day row is locked before its month row, the order every reservation takes them in.
CREATE FUNCTION quota_release_holds(p_request_ids text[], OUT released bigint) LANGUAGE plpgsql AS $$
DECLARE
    hold record;
BEGIN
    released := 0;
    FOR hold IN
        WITH gone AS (DELETE FROM quota_holds WHERE request_id = ANY(p_request_ids) RETURNING partner_id, day, month, units)
        SELECT partner_id, day, month, sum(units)::bigint AS units FROM gone GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    LOOP
        UPDATE quota_counters SET used = used - hold.units
        WHERE partner_id = hold.partner_id AND period_kind = 'day' AND period_start = hold.day;
        UPDATE quota_counters SET used = used - hold.units
        WHERE partner_id = hold.partner_id AND period_kind = 'month' AND period_start = hold.month;
        released := released + hold.units;
    END LOOP;
END
$$;

-- The process that claimed an Idempotency-Key: a claim whose process is gone is released at once
-- rather than answering 409 until its lease runs out. NULL for claims made before.
ALTER TABLE idempotency_keys ADD COLUMN process_id text;
CREATE INDEX idempotency_keys_process ON idempotency_keys (process_id) WHERE status = 'in_progress';
