-- The event store: an append-only log of immutable events with a gap-free global order.
--
-- Why positions are assigned inside a tiny critical section (the "sequencer"):
-- a reader that follows the log asks for "events after position N". With a plain sequence, a
-- transaction can take position 10, commit late, and let a reader that already saw 11 skip it.
-- Readers therefore return only events written by transactions older than the oldest
-- transaction still in flight (xid < pg_snapshot_xmin(pg_current_snapshot())): those are final.
-- That is only gap-free if position order equals transaction-id order, so each append takes its
-- transaction id and its positions together under a short session advisory lock. The lock is
-- held for microseconds (not until commit), so writers still commit, and fsync, in parallel.

CREATE SEQUENCE event_position_seq AS bigint MINVALUE 1;

CREATE TABLE events (
    position        bigint      NOT NULL,
    transaction_id  xid8        NOT NULL,
    stream_name     text        NOT NULL,
    version         bigint      NOT NULL,
    type            text        NOT NULL,
    data            jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    occurred_at     timestamptz NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (position),
    CONSTRAINT events_stream_version_key UNIQUE (stream_name, version),
    CONSTRAINT events_version_positive CHECK (version >= 1)
);

-- One row per stream: its current version and an optional snapshot of the aggregate's state,
-- written in the same transaction as the events, so deciding a command never replays a stream.
CREATE TABLE streams (
    stream_name text   NOT NULL,
    version     bigint NOT NULL,
    snapshot    jsonb,
    CONSTRAINT streams_pkey PRIMARY KEY (stream_name)
);

-- Events are immutable: the database itself refuses UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION events_are_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % on events is not allowed', TG_OP
        USING ERRCODE = 'TL003';
END;
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- Advisory lock keys: class 7401 = streams (key 2 = hash of the stream name),
-- class 7402 = the sequencer (key 2 = 0).

-- Takes the stream's lock for the rest of the transaction and returns its version (0 when the
-- stream does not exist) and snapshot. Takes no transaction id, so a later append_events in the
-- same transaction is still its first write.
CREATE FUNCTION lock_stream(p_stream text, OUT version bigint, OUT snapshot jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7401, hashtext(p_stream));
    SELECT s.version, s.snapshot INTO version, snapshot FROM streams s WHERE s.stream_name = p_stream;
    version := coalesce(version, 0);
END;
$$;

-- Appends events to one stream in the calling transaction.
--   p_expected_version: NULL = any, 0 = the stream must not exist, n = the stream is at version n.
--   p_snapshot: the aggregate state after these events, or NULL to keep the stored one.
-- Must be the transaction's first write (see the comment at the top); one call per transaction.
-- Raises TL001 on a wrong expected version.
CREATE FUNCTION append_events(
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
LANGUAGE plpgsql AS $$
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
    PERFORM pg_advisory_lock(7402, 0);
    BEGIN
        xid := pg_current_xact_id();
        first_position := nextval('event_position_seq');
        last_position := first_position + n - 1;
        IF n > 1 THEN
            PERFORM setval('event_position_seq', last_position);
        END IF;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM pg_advisory_unlock(7402, 0);
        RAISE;
    END;
    PERFORM pg_advisory_unlock(7402, 0);

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

-- Where each reader of the log (projector, reactor) has got to.
CREATE TABLE checkpoints (
    name     text   NOT NULL,
    position bigint NOT NULL,
    CONSTRAINT checkpoints_pkey PRIMARY KEY (name)
);
