-- Events are written only by append_events, the sequencer: a row inserted any other way (a
-- script, an operator's psql, a future code path) would carry no position from the sequencer,
-- or one that breaks "positions follow transaction ids", and readers would skip or misorder it.
--
-- Privileges cannot say this on their own: the deployments this project ships (scripts/run,
-- docker-compose) connect as a superuser, whom REVOKE does not bind, and the table's owner may
-- grant itself back what it revoked. So a statement trigger refuses any INSERT into events that
-- does not carry append_events's pass: the transaction-local setting tideline.appending equal to
-- the transaction's own id, set just before its INSERT and cleared just after. Triggers bind
-- superusers too. A deliberate bulk load (the benchmark's seed) sets the pass itself and says
-- so. COPY in pg_restore is not affected: pg_dump creates triggers after loading the data.
--
-- PUBLIC never had INSERT on events; the REVOKE states it for roles added later.

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON events FROM PUBLIC;

CREATE FUNCTION events_only_through_append_events() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF current_setting('tideline.appending', true) IS DISTINCT FROM pg_current_xact_id()::text THEN
        RAISE EXCEPTION 'events are appended only through append_events (the sequencer)'
            USING ERRCODE = 'TL005',
                  HINT = 'A deliberate bulk load sets tideline.appending to pg_current_xact_id() in its transaction.';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_insert_only_through_append_events
    BEFORE INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_only_through_append_events();

CREATE OR REPLACE FUNCTION append_events(
    p_stream text,
    p_expected_version bigint,
    p_types text[],
    p_data text[],
    p_metadata text[],
    p_snapshot text,
    OUT first_position bigint,
    OUT last_position bigint,
    OUT last_version bigint,
    OUT occurred_at timestamptz
)
LANGUAGE plpgsql
SET lock_timeout = '5s'
AS $$
DECLARE
    n integer := coalesce(cardinality(p_types), 0);
    current_version bigint;
    xid xid8;
BEGIN
    IF n = 0 OR n <> cardinality(p_data) OR n <> cardinality(p_metadata) THEN
        RAISE EXCEPTION 'append_events needs equally long, non-empty types, data and metadata'
            USING ERRCODE = '22023';
    END IF;
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'append_events must be the first write of its transaction'
            USING ERRCODE = 'TL002';
    END IF;

    SELECT l.version INTO current_version FROM lock_stream(p_stream) l;
    IF p_expected_version IS NOT NULL AND p_expected_version <> current_version THEN
        RAISE EXCEPTION 'wrong expected version for stream %', p_stream
            USING ERRCODE = 'TL001',
                  DETAIL = format('expected version %s, stream is at version %s', p_expected_version, current_version);
    END IF;

    -- The sequencer: transaction id and positions are taken together.
    BEGIN
        PERFORM pg_advisory_lock(7402, 0);
        xid := pg_current_xact_id();
        first_position := nextval('event_position_seq');
        last_position := first_position + n - 1;
        IF n > 1 THEN
            PERFORM setval('event_position_seq', last_position);
        END IF;
        PERFORM pg_advisory_unlock(7402, 0);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM pg_advisory_unlock(7402, 0);
        RAISE;
    END;

    occurred_at := date_trunc('milliseconds', statement_timestamp());
    -- The pass for events_only_through_append_events, for this one statement.
    PERFORM set_config('tideline.appending', xid::text, true);
    INSERT INTO events (position, transaction_id, stream_name, version, type, data, metadata, occurred_at)
    SELECT first_position + i - 1, xid, p_stream, current_version + i,
           p_types[i], p_data[i]::jsonb, p_metadata[i]::jsonb, append_events.occurred_at
    FROM generate_subscripts(p_types, 1) AS i;
    PERFORM set_config('tideline.appending', '', true);

    last_version := current_version + n;
    INSERT INTO streams AS s (stream_name, version, snapshot)
    VALUES (p_stream, last_version, p_snapshot::jsonb)
    ON CONFLICT (stream_name) DO UPDATE
        SET version = EXCLUDED.version,
            snapshot = coalesce(EXCLUDED.snapshot, s.snapshot);
END;
$$;
