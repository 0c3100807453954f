-- Quota leases: a gateway process reserves a block of units ahead of its requests and hands them
-- out itself, so that most billable requests touch no quota row at all.
--
-- A lease is units counted in flight for the process (m0103's 'taken' side) that no request has
-- yet: the process gives one to each request it admits, whose meter event spends it exactly as a
-- unit reserved for that request alone (the event names the lease's count and reservation number).
-- Units the process has not handed out come back through quota_return_lease: when the lease has
-- been idle for a moment, when the quota period or the contract's limits change, and at shutdown;
-- if the process dies, quota_sweep_inflight gives back everything its counts still had in flight,
-- leased units included. A quota is never exceeded: leased units are taken from the counters like
-- any others. Leasing stops short of the limit (`p_margin` units before it), so that the last units
-- of a period are reserved request by request, by whichever process's request comes first.

-- Reserves as quota_reserve_inflight does for `p_units` requests and, only if all of them were
-- granted, up to `p_extra` more units for the process's lease, as many as leave at least `p_margin`
-- units of both periods' limits unreserved. `granted` is the requests' units; `leased` the lease's;
-- the counters returned include both; the lease's units are in the same count and reservation.
CREATE FUNCTION quota_reserve_lease(
    p_partner text, p_day date, p_month date, p_units bigint, p_day_limit bigint, p_month_limit bigint, p_process text,
    p_extra bigint, p_margin bigint,
    OUT granted bigint, OUT leased bigint, OUT exhausted text, OUT day_used bigint, OUT month_used bigint,
    OUT generation bigint, OUT started bigint, OUT reservation bigint
) LANGUAGE plpgsql AS $$
DECLARE
    room bigint;
BEGIN
    leased := 0;
    SELECT r.granted, r.exhausted, r.day_used, r.month_used, r.generation, r.started, r.reservation
    INTO granted, exhausted, day_used, month_used, generation, started, reservation
    FROM quota_reserve_inflight(p_partner, p_day, p_month, p_units, p_day_limit, p_month_limit, p_process) AS r;
    IF exhausted IS NOT NULL OR granted = 0 OR p_extra <= 0 THEN
        RETURN;
    END IF;
    -- The counter rows are locked by quota_reserve_up_to (inside quota_reserve_inflight) until commit.
    room := least(coalesce(p_day_limit - day_used, p_extra + p_margin), coalesce(p_month_limit - month_used, p_extra + p_margin)) - p_margin;
    leased := greatest(0, least(p_extra, room));
    IF leased > 0 THEN
        UPDATE quota_counters SET used = used + leased
        WHERE partner_id = p_partner AND period_kind = 'day' AND period_start = p_day;
        UPDATE quota_counters SET used = used + leased
        WHERE partner_id = p_partner AND period_kind = 'month' AND period_start = p_month;
        day_used := day_used + leased;
        month_used := month_used + leased;
        UPDATE quota_inflight SET units = units + leased
        WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
          AND server_started = started AND side = 'taken';
    END IF;
END
$$;

-- Gives back `p_units` units of a lease that `p_process` never handed out: units of reservation
-- `p_reservation` of its count (`p_server_started`, `p_generation`) in the partner's day and month
-- periods, never more than the count still has in flight; nothing once the sweep has ended that
-- count, nor if the reservation was lost (a crash since: the count never reached it). Locks in
-- m0103's order (counters, then the count's rows), and waits for a meter event of the count that
-- is committing. Returns the units given back.
CREATE FUNCTION quota_return_lease(
    p_process text, p_partner text, p_day date, p_month date, p_server_started bigint, p_generation bigint, p_reservation bigint,
    p_units bigint, OUT returned bigint
) LANGUAGE plpgsql AS $$
DECLARE
    taken_units bigint;
    settled_units bigint;
BEGIN
    returned := 0;
    IF p_units <= 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM quota_counters
    WHERE partner_id = p_partner AND ((period_kind = 'day' AND period_start = p_day) OR (period_kind = 'month' AND period_start = p_month))
    ORDER BY period_kind
    FOR UPDATE;
    SELECT units INTO taken_units FROM quota_inflight
    WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
      AND server_started = p_server_started AND side = 'taken' AND generation = p_generation AND reservations >= p_reservation;
    IF taken_units IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO quota_inflight (process_id, partner_id, day, month, server_started, side, units, generation)
    VALUES (p_process, p_partner, p_day, p_month, p_server_started, 'settled', 0, p_generation)
    ON CONFLICT (process_id, partner_id, day, month, server_started, side) DO NOTHING;
    SELECT units INTO settled_units FROM quota_inflight
    WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
      AND server_started = p_server_started AND side = 'settled'
    FOR UPDATE;
    returned := least(p_units, greatest(0, taken_units - settled_units));
    IF returned > 0 THEN
        UPDATE quota_inflight SET units = units + returned, touched_at = now()
        WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
          AND server_started = p_server_started AND side = 'settled';
        UPDATE quota_counters SET used = used - returned
        WHERE partner_id = p_partner AND period_kind = 'day' AND period_start = p_day;
        UPDATE quota_counters SET used = used - returned
        WHERE partner_id = p_partner AND period_kind = 'month' AND period_start = p_month;
    END IF;
END
$$;
