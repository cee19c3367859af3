-- A whole command as one statement: one round trip, committed on its own (autocommit).
--
-- The server decides a command on its own copy of the stream's snapshot and sends the outcome
-- here: the events to append (or none, when the command had already had its effect), the
-- version it decided on, the new snapshot, and the reply to keep for a retried command. This
-- function checks for a stored reply, checks the version, appends through append_events (so the
-- sequencer and its gap-free order are the same as for any append), records the reply, and the
-- statement's implicit transaction commits it all, or nothing.
--
-- A stale copy (another server process wrote the stream) fails the version check with TL001
-- before anything is written; the server reloads the snapshot and decides again.

CREATE FUNCTION run_command(
    p_stream text,
    -- The version the decision was made on (0 = the stream did not exist).
    p_expected_version bigint,
    -- The events to append; empty arrays = the command changes nothing.
    p_types text[],
    p_data text[],
    p_metadata text[],
    -- The aggregate state after the events, or NULL to keep the stored one.
    p_snapshot text,
    -- With no events: the version of the stream's event that had already done it.
    p_existing_version bigint,
    -- Idempotency: the caller and the scopes to record the reply under, key scope first
    -- ('key:<Idempotency-Key>' expires after 24 h and must match p_fingerprint; 'client_msg:…'
    -- is kept for good). Empty = nothing to record.
    p_caller text,
    p_scopes text[],
    p_fingerprint text,
    -- The reply; '$event_id$' in p_body is replaced by the command's event id (identifiers, the
    -- only other strings in a reply, never contain '$').
    p_status integer,
    p_body text,
    -- 'appended', 'unchanged', 'replayed' (a stored reply, nothing done) or 'key_reused'
    -- (the Idempotency-Key was used for a different request; nothing done).
    OUT outcome text,
    OUT first_position bigint,
    OUT last_position bigint,
    OUT last_version bigint,
    OUT event_id bigint,
    OUT status integer,
    OUT body text
)
LANGUAGE plpgsql AS $$
DECLARE
    v_scope text;
    stored record;
    current_version bigint;
    recorded boolean;
BEGIN
    -- A retried command answers what it answered the first time, whatever happened since.
    FOREACH v_scope IN ARRAY coalesce(p_scopes, '{}') LOOP
        SELECT r.status, r.body, coalesce(r.fingerprint = md5(p_fingerprint), true) AS same_request
        INTO stored
        FROM command_responses r
        WHERE r.caller = p_caller AND r.scope = v_scope
          AND (r.expires_at IS NULL OR r.expires_at > now());
        IF FOUND THEN
            outcome := CASE WHEN stored.same_request THEN 'replayed' ELSE 'key_reused' END;
            status := stored.status;
            body := stored.body;
            RETURN;
        END IF;
    END LOOP;

    IF coalesce(cardinality(p_types), 0) > 0 THEN
        SELECT a.first_position, a.last_position, a.last_version
        INTO first_position, last_position, last_version
        FROM append_events(p_stream, p_expected_version, p_types, p_data, p_metadata, p_snapshot) a;
        outcome := 'appended';
        event_id := last_position;
    ELSE
        SELECT l.version INTO current_version FROM lock_stream(p_stream) l;
        IF current_version <> p_expected_version THEN
            RAISE EXCEPTION 'wrong expected version for stream %', p_stream
                USING ERRCODE = 'TL001',
                      DETAIL = format('expected version %s, stream is at version %s', p_expected_version, current_version);
        END IF;
        SELECT e.position INTO event_id
        FROM events e WHERE e.stream_name = p_stream AND e.version = p_existing_version;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stream % has no event at version %', p_stream, p_existing_version
                USING ERRCODE = 'TL001';
        END IF;
        outcome := 'unchanged';
        last_version := current_version;
    END IF;

    status := p_status;
    body := replace(p_body, '$event_id$', event_id::text);
    FOREACH v_scope IN ARRAY coalesce(p_scopes, '{}') LOOP
        INSERT INTO command_responses AS r (caller, scope, fingerprint, status, body, expires_at)
        VALUES (p_caller, v_scope,
                CASE WHEN v_scope LIKE 'key:%' THEN md5(p_fingerprint) END,
                p_status, body,
                CASE WHEN v_scope LIKE 'key:%' THEN now() + interval '24 hours' END)
        ON CONFLICT (caller, scope) DO UPDATE
            SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
                created_at = now(), expires_at = EXCLUDED.expires_at
            WHERE r.expires_at IS NOT NULL AND r.expires_at <= now()
        RETURNING true INTO recorded;
        IF recorded IS NULL THEN
            -- The same key or client_msg_id committed meanwhile (we waited for it): undo this
            -- command; the server asks again and gets that command's reply.
            RAISE EXCEPTION 'a concurrent command with the same idempotency scope % committed first', v_scope
                USING ERRCODE = 'TL004';
        END IF;
        recorded := NULL;
    END LOOP;
END;
$$;
