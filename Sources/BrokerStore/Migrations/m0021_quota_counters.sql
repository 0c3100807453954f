-- Quota counters per partner and period (China time): requests admitted in that day or month.
CREATE TABLE quota_counters (
    partner_id   text   NOT NULL,
    period_kind  text   NOT NULL CHECK (period_kind IN ('day', 'month')),
    period_start date   NOT NULL,
    used         bigint NOT NULL CHECK (used >= 0),
    PRIMARY KEY (partner_id, period_kind, period_start)
);

-- Reserves `units` in the day and the month at once, or in neither. A NULL limit is unlimited
-- (the request is still counted). The row locks taken by the upserts (day first, then month, in
-- every caller) serialise concurrent reservations, so no number of processes sharing the database
-- can admit one unit over a limit. `exhausted` is NULL on success, else 'day' or 'month'; the
-- counters returned are the values after this call.
CREATE FUNCTION quota_reserve(
    p_partner text, p_day date, p_month date, p_units bigint, p_day_limit bigint, p_month_limit bigint,
    OUT exhausted text, OUT day_used bigint, OUT month_used bigint
) LANGUAGE plpgsql AS $$
BEGIN
    IF p_units > p_day_limit THEN exhausted := 'day'; RETURN; END IF;
    IF p_units > p_month_limit THEN exhausted := 'month'; RETURN; END IF;

    INSERT INTO quota_counters AS c (partner_id, period_kind, period_start, used)
    VALUES (p_partner, 'day', p_day, p_units)
    ON CONFLICT (partner_id, period_kind, period_start) DO UPDATE SET used = c.used + EXCLUDED.used
        WHERE p_day_limit IS NULL OR c.used + EXCLUDED.used <= p_day_limit
    RETURNING c.used INTO day_used;
    IF day_used IS NULL THEN exhausted := 'day'; RETURN; END IF;

    INSERT INTO quota_counters AS c (partner_id, period_kind, period_start, used)
    VALUES (p_partner, 'month', p_month, p_units)
    ON CONFLICT (partner_id, period_kind, period_start) DO UPDATE SET used = c.used + EXCLUDED.used
        WHERE p_month_limit IS NULL OR c.used + EXCLUDED.used <= p_month_limit
    RETURNING c.used INTO month_used;
    IF month_used IS NULL THEN
        -- Still holding the day row's lock: nobody has seen the increment, so undo it.
        UPDATE quota_counters SET used = used - p_units
        WHERE partner_id = p_partner AND period_kind = 'day' AND period_start = p_day;
        day_used := NULL;
        exhausted := 'month';
    END IF;
END
$$;
