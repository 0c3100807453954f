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
BEGIN
    leased := 0;
    SELECT r.granted, r.exhausted, r.day_used, r.month_used, r.generation, r.started, r.reservation
    INTO granted, exhausted, day_used, month_used, generation, started, reservation
    FROM quota_reserve_inflight(p_partner, p_day, p_month, p_units, p_day_limit, p_month_limit, p_process) AS r;
    IF exhausted IS NOT NULL OR granted = 0 OR p_extra <= 0 THEN
        RETURN;
    END IF;
    -- The lease's units, taken as any others (the counter rows are locked already), and what they
    -- could take is capped below the limits by the margin.
    leased := greatest(0, least(p_extra,
        least(coalesce(p_day_limit - day_used, p_extra + p_margin), coalesce(p_month_limit - month_used, p_extra + p_margin)) - p_margin));
    IF leased > 0 THEN
        SELECT r.day_used, r.month_used INTO day_used, month_used
        FROM quota_reserve_up_to(p_partner, p_day, p_month, leased, p_day_limit, p_month_limit) AS r;
        UPDATE quota_inflight SET units = units + leased
        WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
          AND server_started = started AND side = 'taken';
    END IF;
END
$$;

-- Locks a count of `p_process` (`p_server_started`, `p_generation`) in the partner's day and month
-- periods to give units of it back, in m0103's order: the partner's counter rows, then the count's
-- 'settled' row (made if missing), which waits for a meter event of the count that is committing,
-- so that its event is seen after. `in_flight` is what the count still has in flight (taken −
-- settled); NULL, and nothing locked but the counters, once the sweep has ended the count or if
-- reservation `p_reservation` was lost (a crash since: the count never reached it).
CREATE FUNCTION quota_lock_count(
    p_process text, p_partner text, p_day date, p_month date, p_server_started bigint, p_generation bigint, p_reservation bigint,
    OUT in_flight bigint
) LANGUAGE plpgsql AS $$
DECLARE
    taken_units bigint;
    settled_units bigint;
BEGIN
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
    in_flight := greatest(0, taken_units - settled_units);
END
$$;

-- Gives back `p_units` of a count that quota_lock_count locked: settled by the process, taken off
-- both counters.
CREATE FUNCTION quota_give_back(
    p_process text, p_partner text, p_day date, p_month date, p_server_started bigint, p_units bigint
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_units > 0 THEN
        UPDATE quota_inflight SET units = units + p_units, touched_at = now()
        WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
          AND server_started = p_server_started AND side = 'settled';
        UPDATE quota_counters SET used = used - p_units
        WHERE partner_id = p_partner AND period_kind = 'day' AND period_start = p_day;
        UPDATE quota_counters SET used = used - p_units
        WHERE partner_id = p_partner AND period_kind = 'month' AND period_start = p_month;
    END IF;
END
$$;

-- Gives back `p_units` units of a lease that `p_process` never handed out: units of reservation
-- `p_reservation` of its count, never more than the count still has in flight, nothing once the
-- sweep has ended that count nor if the reservation was lost. Returns the units given back.
CREATE FUNCTION quota_return_lease(
    p_process text, p_partner text, p_day date, p_month date, p_server_started bigint, p_generation bigint, p_reservation bigint,
    p_units bigint, OUT returned bigint
) LANGUAGE plpgsql AS $$
DECLARE
    in_flight bigint;
BEGIN
    returned := 0;
    IF p_units <= 0 THEN
        RETURN;
    END IF;
    in_flight := quota_lock_count(p_process, p_partner, p_day, p_month, p_server_started, p_generation, p_reservation);
    returned := least(p_units, coalesce(in_flight, 0));
    PERFORM quota_give_back(p_process, p_partner, p_day, p_month, p_server_started, returned);
END
$$;

-- m0103's quota_release_inflight on the same two pieces, unchanged in what it does: the units of
-- `p_request_ids` not spent by their meter events and not given back before, at most what the
-- count still has in flight.
CREATE OR REPLACE FUNCTION quota_release_inflight(
    p_process text, p_partner text, p_day date, p_month date, p_server_started bigint, p_generation bigint, p_reservation bigint,
    p_request_ids text[], OUT released bigint
) LANGUAGE plpgsql AS $$
DECLARE
    in_flight bigint;
BEGIN
    released := 0;
    in_flight := quota_lock_count(p_process, p_partner, p_day, p_month, p_server_started, p_generation, p_reservation);
    IF in_flight IS NULL THEN
        RETURN;  -- the count has ended (the sweep gave its units back), or the reservation was lost
    END IF;
    WITH fresh AS (
        INSERT INTO quota_released (request_id)
        SELECT DISTINCT r.request_id FROM unnest(p_request_ids) AS r(request_id)
        WHERE NOT EXISTS (SELECT 1 FROM meter_events e WHERE e.request_id = r.request_id AND e.http_status < 400)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO released FROM fresh;
    released := least(released, in_flight);
    PERFORM quota_give_back(p_process, p_partner, p_day, p_month, p_server_started, released);
END
$$;
