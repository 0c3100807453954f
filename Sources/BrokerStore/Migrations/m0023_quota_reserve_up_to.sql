-- Reserves as many of `p_units` as both the day and the month still allow (possibly none), for
-- requests that arrived together and are admitted in order: the first `granted` of them get a unit,
-- the others are refused. Locks the day row, then the month row, as `quota_reserve` does, so the two
-- functions serialise with each other and never deadlock. `exhausted` is NULL when every unit was
-- granted, else the period that ran out first ('day' when both did); the counters returned are the
-- values after this call.
CREATE FUNCTION quota_reserve_up_to(
    p_partner text, p_day date, p_month date, p_units bigint, p_day_limit bigint, p_month_limit bigint,
    OUT granted bigint, OUT exhausted text, OUT day_used bigint, OUT month_used bigint
) LANGUAGE plpgsql AS $$
DECLARE
    day_room bigint;
    month_room bigint;
BEGIN
    INSERT INTO quota_counters (partner_id, period_kind, period_start, used) VALUES (p_partner, 'day', p_day, 0)
    ON CONFLICT (partner_id, period_kind, period_start) DO NOTHING;
    SELECT used INTO day_used FROM quota_counters
    WHERE partner_id = p_partner AND period_kind = 'day' AND period_start = p_day FOR UPDATE;

    INSERT INTO quota_counters (partner_id, period_kind, period_start, used) VALUES (p_partner, 'month', p_month, 0)
    ON CONFLICT (partner_id, period_kind, period_start) DO NOTHING;
    SELECT used INTO month_used FROM quota_counters
    WHERE partner_id = p_partner AND period_kind = 'month' AND period_start = p_month FOR UPDATE;

    day_room := coalesce(p_day_limit - day_used, p_units);
    month_room := coalesce(p_month_limit - month_used, p_units);
    granted := greatest(0, least(p_units, day_room, month_room));
    IF granted < p_units THEN
        exhausted := CASE WHEN day_room <= month_room THEN 'day' ELSE 'month' END;
    END IF;
    IF granted > 0 THEN
        UPDATE quota_counters SET used = used + granted
        WHERE partner_id = p_partner AND period_kind = 'day' AND period_start = p_day;
        UPDATE quota_counters SET used = used + granted
        WHERE partner_id = p_partner AND period_kind = 'month' AND period_start = p_month;
        day_used := day_used + granted;
        month_used := month_used + granted;
    END IF;
END
$$;
