-- The sequencer's session lock can no longer outlive its append, nor be waited on forever.
--
-- 001 took the sequencer lock (a *session* advisory lock, so that it is held for microseconds
-- rather than until commit) just before entering the block whose handler releases it. A query
-- cancel or statement timeout that lands between the grant and the block's start aborts the
-- transaction, but a session lock survives its transaction: the pooled connection would keep it,
-- and every append on every server would then wait for it forever.
--
-- Here the lock is taken inside the block, and released as its last statement, so every error
-- after the grant passes through the handler. pg_advisory_unlock returns false (with a warning)
-- when the lock was never granted, for example when the cancel interrupted the wait.
--
-- lock_timeout bounds every lock wait of an append (the stream's lock, the sequencer's): a wait
-- that long means something is wrong, and the command fails with 55P03 (the API answers 503
-- with Retry-After) rather than hanging. The setting applies only while the function runs.

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
    INSERT INTO events (position, transaction_id, stream_name, version, type, data, metadata, occurred_at)
    SELECT first_position + i - 1, xid, p_stream, current_version + i,
           p_types[i], p_data[i]::jsonb, p_metadata[i]::jsonb, append_events.occurred_at
    FROM generate_subscripts(p_types, 1) AS i;

    last_version := current_version + n;
    INSERT INTO streams AS s (stream_name, version, snapshot)
    VALUES (p_stream, last_version, p_snapshot::jsonb)
    ON CONFLICT (stream_name) DO UPDATE
        SET version = EXCLUDED.version,
            snapshot = coalesce(EXCLUDED.snapshot, s.snapshot);
END;
$$;

-- run_command takes the stream's lock before it calls append_events: bound that wait too.
ALTER FUNCTION run_command(text, bigint, text[], text[], text[], text, bigint, text, text[], text, integer, text)
    SET lock_timeout = '5s';
