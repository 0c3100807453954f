-- Quota units in flight, counted per gateway process instead of held per request.
--
-- m0025 held each billable request's unit in a row of quota_holds, inserted with the reservation and
-- deleted with the request's meter event: an indexed insert and a delete (and their vacuum) on every
-- query. Here a process counts its units in flight per partner and quota day and month: a
-- reservation adds what it granted to the process's 'taken' row, and a meter event that spends a
-- unit (in the statement that inserts the event) or a release that gives one back adds to its
-- 'settled' row. Its units in flight are taken − settled. Two rows, so that a reservation (which
-- commits asynchronously) never waits for the row a meter event holds until its synchronous commit.
-- A process that dies leaves taken > settled; another gives the difference back
-- (quota_sweep_inflight). quota_holds stays for the holds of processes that predate this migration,
-- which the sweep still gives back.
--
-- A count has a generation, drawn when its 'taken' row is made: a unit names the generation it was
-- counted in, and a meter event or a release acts on that count only. Once the sweep has ended a
-- count (and given its units back), a late release of one of its units gives nothing back from the
-- next count of the same process, partner and periods.
--
-- A reservation commits asynchronously (its WAL is flushed by the next synchronous commit, the
-- meter event's). If PostgreSQL crashes before that flush, the reservation is lost while the
-- gateway already counts on it, and its request may still reach the meter once the server is back.
-- So a count is also keyed by the server start it was made under (a reservation after a restart
-- starts a new count, and the old one no longer grows), and each reservation statement numbers
-- itself in its count (`reservations`). A unit names its count and its number: it is still
-- counted if its count has reached that number. After a crash, a unit whose reservation was lost
-- is so known: its meter event is refused (the answer is withheld) and its release gives nothing
-- back; a unit whose reservation survived is spent or given back as before.
--
-- Locks are always taken in one order: a partner's quota_counters rows (days before months), then
-- quota_inflight rows, then quota_released rows. The meter event locks its 'settled' rows only, and
-- before it inserts the events, so that a release of one of its units waits for it to commit and
-- then sees its event.
CREATE SEQUENCE quota_inflight_generation;

CREATE TABLE quota_inflight (
    process_id  text        NOT NULL,
    partner_id  text        NOT NULL,
    day         date        NOT NULL,
    month       date        NOT NULL,
    server_started bigint   NOT NULL,
    side        text        NOT NULL CHECK (side IN ('taken', 'settled')),
    units       bigint      NOT NULL CHECK (units >= 0),
    generation  bigint      NOT NULL,
    reservations bigint     NOT NULL DEFAULT 0,
    touched_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (process_id, partner_id, day, month, server_started, side)
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

-- The request ids whose units a release gave back, so that a release retried (after a reply that
-- never arrived) gives back nothing the second time. Written only when an answer is withheld; the
-- sweep deletes rows older than a day.
CREATE TABLE quota_released (
    request_id  text        PRIMARY KEY,
    released_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quota_released_at ON quota_released (released_at);

-- The server's start, in microseconds since the epoch: what a unit is reserved under.
CREATE FUNCTION quota_server_started() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint
$$;

-- Reserves as quota_reserve_up_to does and counts the granted units as taken by `p_process`, in
-- its count of the server start `started`; `generation` is the count's and `reservation` this
-- reservation's number in it (both NULL when nothing was granted).
CREATE FUNCTION quota_reserve_inflight(
    p_partner text, p_day date, p_month date, p_units bigint, p_day_limit bigint, p_month_limit bigint, p_process text,
    OUT granted bigint, OUT exhausted text, OUT day_used bigint, OUT month_used bigint, OUT generation bigint,
    OUT started bigint, OUT reservation bigint
) LANGUAGE plpgsql AS $$
BEGIN
    started := quota_server_started();
    SELECT r.granted, r.exhausted, r.day_used, r.month_used INTO granted, exhausted, day_used, month_used
    FROM quota_reserve_up_to(p_partner, p_day, p_month, p_units, p_day_limit, p_month_limit) AS r;
    IF granted > 0 THEN
        INSERT INTO quota_inflight AS q (process_id, partner_id, day, month, server_started, side, units, generation, reservations)
        VALUES (p_process, p_partner, p_day, p_month, started, 'taken', granted, nextval('quota_inflight_generation'), 1)
        ON CONFLICT (process_id, partner_id, day, month, server_started, side)
        DO UPDATE SET units = q.units + excluded.units, reservations = q.reservations + 1, touched_at = now()
        RETURNING q.generation, q.reservations INTO generation, reservation;
    END IF;
END
$$;

-- Gives back the units `p_process` took for `p_request_ids` in reservation `p_reservation` of its
-- count (`p_server_started`, `p_generation`) in the partner's day and month periods, except those
-- spent (the request's meter event is in the ledger with a status below 400), those given back
-- before (quota_released), and never more than the count still has in flight; nothing once that
-- count has ended, nor if the reservation was lost (a crash since: the count never reached it).
-- Returns the units given back.
CREATE FUNCTION quota_release_inflight(
    p_process text, p_partner text, p_day date, p_month date, p_server_started bigint, p_generation bigint, p_reservation bigint,
    p_request_ids text[], OUT released bigint
) LANGUAGE plpgsql AS $$
DECLARE
    taken_units bigint;
    settled_units bigint;
BEGIN
    released := 0;
    PERFORM 1 FROM quota_counters
    WHERE partner_id = p_partner AND ((period_kind = 'day' AND period_start = p_day) OR (period_kind = 'month' AND period_start = p_month))
    ORDER BY period_kind
    FOR UPDATE;
    SELECT units INTO taken_units FROM quota_inflight
    WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
      AND server_started = p_server_started AND side = 'taken' AND generation = p_generation AND reservations >= p_reservation;
    IF taken_units IS NULL THEN
        RETURN;  -- the count has ended (the sweep gave its units back), or the reservation was lost
    END IF;
    INSERT INTO quota_inflight (process_id, partner_id, day, month, server_started, side, units, generation)
    VALUES (p_process, p_partner, p_day, p_month, p_server_started, 'settled', 0, p_generation)
    ON CONFLICT (process_id, partner_id, day, month, server_started, side) DO NOTHING;
    -- Waits for a meter event of this count that is committing, so that its event is seen below.
    SELECT units INTO settled_units FROM quota_inflight
    WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
      AND server_started = p_server_started AND side = 'settled'
    FOR UPDATE;
    WITH fresh AS (
        INSERT INTO quota_released (request_id)
        SELECT DISTINCT r.request_id FROM unnest(p_request_ids) AS r(request_id)
        WHERE NOT EXISTS (SELECT 1 FROM meter_events e WHERE e.request_id = r.request_id AND e.http_status < 400)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO released FROM fresh;
    released := least(released, greatest(0, taken_units - settled_units));
    IF released > 0 THEN
        UPDATE quota_inflight SET units = units + released, touched_at = now()
        WHERE process_id = p_process AND partner_id = p_partner AND day = p_day AND month = p_month
          AND server_started = p_server_started AND side = 'settled';
        UPDATE quota_counters SET used = used - released
        WHERE partner_id = p_partner AND period_kind = 'day' AND period_start = p_day;
        UPDATE quota_counters SET used = used - released
        WHERE partner_id = p_partner AND period_kind = 'month' AND period_start = p_month;
    END IF;
END
$$;

-- Gives back the units in flight of processes that are gone, and ends their counts: those named in
-- `p_gone`; those other than `p_self` with no gateway_processes row whose counts have not moved for
-- a minute; and, of any process, counts that have not moved for ten minutes (no request lives that
-- long, so whatever they still show in flight will never be spent). Every count is checked again
-- once its rows are locked, so a count that moved meanwhile is left alone. Also forgets releases
-- older than a day. Returns the units given back.
CREATE FUNCTION quota_sweep_inflight(p_gone text[], p_self text, OUT released bigint) LANGUAGE plpgsql AS $$
DECLARE
    processes text[];
    starts bigint[];
    partners text[];
    days date[];
    months date[];
    k record;
    moved timestamptz;
    units_in_flight bigint;
BEGIN
    released := 0;
    DELETE FROM quota_released WHERE released_at < now() - interval '1 day';
    SELECT array_agg(s.process_id ORDER BY s.partner_id, s.day, s.month, s.process_id, s.server_started),
           array_agg(s.server_started ORDER BY s.partner_id, s.day, s.month, s.process_id, s.server_started),
           array_agg(s.partner_id ORDER BY s.partner_id, s.day, s.month, s.process_id, s.server_started),
           array_agg(s.day ORDER BY s.partner_id, s.day, s.month, s.process_id, s.server_started),
           array_agg(s.month ORDER BY s.partner_id, s.day, s.month, s.process_id, s.server_started)
    INTO processes, starts, partners, days, months
    FROM (
        SELECT q.process_id, q.server_started, q.partner_id, q.day, q.month
        FROM quota_inflight q
        GROUP BY q.process_id, q.server_started, q.partner_id, q.day, q.month
        HAVING q.process_id = ANY(p_gone)
            OR (q.process_id <> p_self AND max(q.touched_at) < now() - interval '1 minute'
                AND NOT EXISTS (SELECT 1 FROM gateway_processes p WHERE p.process_id = q.process_id))
            OR max(q.touched_at) < now() - interval '10 minutes'
    ) AS s;
    IF processes IS NULL THEN
        RETURN;
    END IF;
    -- Every counter row the counts touch, locked in the one order before any count is ended.
    PERFORM 1 FROM quota_counters c
    WHERE EXISTS (SELECT 1 FROM unnest(partners, days, months) AS g(partner_id, day, month)
                  WHERE g.partner_id = c.partner_id
                    AND ((c.period_kind = 'day' AND c.period_start = g.day) OR (c.period_kind = 'month' AND c.period_start = g.month)))
    ORDER BY c.partner_id, c.period_kind, c.period_start
    FOR UPDATE;
    FOR k IN SELECT * FROM unnest(processes, starts, partners, days, months) AS g(process_id, server_started, partner_id, day, month) LOOP
        PERFORM 1 FROM quota_inflight
        WHERE process_id = k.process_id AND server_started = k.server_started AND partner_id = k.partner_id AND day = k.day AND month = k.month
        ORDER BY side
        FOR UPDATE;
        IF NOT k.process_id = ANY(p_gone) THEN
            SELECT max(touched_at) INTO moved FROM quota_inflight
            WHERE process_id = k.process_id AND server_started = k.server_started AND partner_id = k.partner_id AND day = k.day AND month = k.month;
            CONTINUE WHEN moved IS NULL
                OR NOT (moved < now() - interval '10 minutes'
                        OR (k.process_id <> p_self AND moved < now() - interval '1 minute'
                            AND NOT EXISTS (SELECT 1 FROM gateway_processes p WHERE p.process_id = k.process_id)));
        END IF;
        WITH ended AS (
            DELETE FROM quota_inflight
            WHERE process_id = k.process_id AND server_started = k.server_started AND partner_id = k.partner_id AND day = k.day AND month = k.month
            RETURNING side, units
        )
        SELECT greatest(0, coalesce(sum(units) FILTER (WHERE side = 'taken'), 0) - coalesce(sum(units) FILTER (WHERE side = 'settled'), 0))
        INTO units_in_flight FROM ended;
        IF units_in_flight > 0 THEN
            UPDATE quota_counters SET used = greatest(0, used - units_in_flight)
            WHERE partner_id = k.partner_id AND period_kind = 'day' AND period_start = k.day;
            UPDATE quota_counters SET used = greatest(0, used - units_in_flight)
            WHERE partner_id = k.partner_id AND period_kind = 'month' AND period_start = k.month;
            released := released + units_in_flight;
        END IF;
    END LOOP;
END
$$;
