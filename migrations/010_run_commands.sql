-- Many commands in one transaction, each with its own outcome (group commit).
--
-- run_command (004) commits every command on its own: an xid, a sequencer turn, a commit record
-- and a WAL flush wait each. A process's commands that arrive while its previous batch is in
-- flight come here together instead: one round trip, one transaction, one sequencer turn, one
-- commit for all of them.
--
-- One command's outcome never fails the others, and no exception block is entered per command
-- (each would be a subtransaction; past 64 in one transaction PostgreSQL's subtransaction cache
-- overflows and every snapshot in the cluster slows down). So everything that can refuse a
-- command is found before anything is written:
--   * the batch's streams are locked, then its idempotency scopes (transaction-scoped advisory
--     locks, which write nothing: the append must still be the transaction's first write);
--     each set in the order of its lock keys, so two processes batching at once cannot deadlock;
--   * under those locks, a stored reply (replayed, or key_reused for another request under the
--     same key) and each stream's version (conflict: the server's copy was stale; it decides
--     again under the stream's lock) are read, both committed and final, since whoever wrote
--     them held the same locks until its commit;
--   * then the commands left are written: their events through one sequencer turn, one
--     INSERT per table.
-- A scope is only ever written under its lock, so no insert can meet an uncommitted twin, and
-- the TL004 of run_command cannot happen here.
--
-- A command is passed as one element of each per-command array; its events are the next
-- p_event_counts[i] elements of the per-event arrays, in command order. '' stands for "none"
-- in p_snapshots (keep the stored snapshot) and in the scope arrays; 0 in p_existing_versions.
-- Each stream and each (caller, scope) appears at most once in a batch: the server keeps a
-- stream's commands, and commands sharing a scope, in separate batches (a batch that breaks
-- this fails whole, on the upserts below).
--
-- Outcomes, one row per command in order: 'appended', 'unchanged' (no events; the event at
-- p_existing_versions[i] had done it), 'replayed', 'key_reused', 'conflict' (nothing done).

CREATE FUNCTION run_commands(
    p_streams text[],
    p_expected_versions bigint[],
    p_event_counts integer[],
    p_types text[],
    p_data text[],
    p_metadata text[],
    p_snapshots text[],
    p_existing_versions bigint[],
    p_callers text[],
    p_key_scopes text[],
    p_message_scopes text[],
    p_fingerprints text[],
    p_statuses integer[],
    p_bodies text[]
)
RETURNS TABLE (
    command integer,
    outcome text,
    first_position bigint,
    last_position bigint,
    last_version bigint,
    event_id bigint,
    status integer,
    body text
)
LANGUAGE plpgsql
SET lock_timeout = '5s'
-- The statements below take arrays whose sizes a custom plan would re-plan for at every call;
-- the generic plan is as good and saves planning them each time (measured: 1.0-1.2 ms a call
-- of one command became 0.9 ms, under pgbench on 2 cores).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    n integer := coalesce(cardinality(p_streams), 0);
    events_given integer := coalesce(cardinality(p_types), 0);
    i integer;
    -- Per command: what it found (its stream's version, a stored reply), what it did.
    current_version bigint[];
    stored_status integer[];
    stored_body text[];
    stored_same boolean[];
    event_start integer[] := '{}';
    outcome_of text[] := '{}';
    first_of bigint[] := '{}';
    event_id_of bigint[] := '{}';
    status_of integer[] := '{}';
    body_of text[] := '{}';
    next_event integer := 1;
    existing_position bigint;
    appending integer := 0;
    xid xid8;
    next_position bigint;
    stamp timestamptz;
BEGIN
    -- Simple expressions only: PL/pgSQL evaluates them without a query. A stream or a scope
    -- given twice needs no check of its own: the streams and command_responses upserts refuse
    -- to touch a row twice, so such a batch fails whole and each command goes again alone.
    IF n = 0
       OR cardinality(p_expected_versions) <> n OR cardinality(p_event_counts) <> n
       OR cardinality(p_snapshots) <> n OR cardinality(p_existing_versions) <> n
       OR cardinality(p_callers) <> n OR cardinality(p_key_scopes) <> n
       OR cardinality(p_message_scopes) <> n OR cardinality(p_fingerprints) <> n
       OR cardinality(p_statuses) <> n OR cardinality(p_bodies) <> n
       OR events_given <> coalesce(cardinality(p_data), 0) OR events_given <> coalesce(cardinality(p_metadata), 0) THEN
        RAISE EXCEPTION 'run_commands needs one element per command in each per-command array'
            USING ERRCODE = '22023';
    END IF;
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'run_commands must be the first write of its transaction'
            USING ERRCODE = 'TL002';
    END IF;

    -- Every lock in one statement: streams (lock_stream's keys) before scopes, each in key
    -- order (the subquery's order is the order the locks are taken in).
    PERFORM pg_advisory_xact_lock(l.class, l.key)
    FROM (
        SELECT 7401 AS class, hashtext(s) AS key FROM unnest(p_streams) AS s
        UNION
        SELECT 7403, hashtext(u.caller || ' ' || v.scope)
        FROM unnest(p_callers, p_key_scopes, p_message_scopes) AS u(caller, key_scope, message_scope),
             LATERAL (VALUES (u.key_scope), (u.message_scope)) AS v(scope)
        WHERE v.scope <> ''
        ORDER BY 1, 2
    ) AS l;

    -- What each command finds, read after its locks were granted, in one statement. The key
    -- first: reusing it for another request is the client's bug to hear about.
    SELECT array_agg(coalesce(s.version, 0) ORDER BY u.i), array_agg(r.status ORDER BY u.i),
           array_agg(r.body ORDER BY u.i), array_agg(r.same_request ORDER BY u.i)
    INTO current_version, stored_status, stored_body, stored_same
    FROM unnest(p_streams, p_callers, p_key_scopes, p_message_scopes, p_fingerprints)
             WITH ORDINALITY AS u(stream, caller, key_scope, message_scope, fingerprint, i)
    LEFT JOIN streams s ON s.stream_name = u.stream
    LEFT JOIN LATERAL (
        SELECT r.status, r.body, coalesce(r.fingerprint = md5(u.fingerprint), true) AS same_request
        FROM command_responses r
        WHERE r.caller = u.caller AND r.scope IN (u.key_scope, u.message_scope) AND r.scope <> ''
          AND (r.expires_at IS NULL OR r.expires_at > now())
        ORDER BY r.scope = u.key_scope DESC
        LIMIT 1
    ) AS r ON true;

    FOR i IN 1..n LOOP
        event_start[i] := next_event;
        next_event := next_event + p_event_counts[i];
        IF stored_status[i] IS NOT NULL THEN
            outcome_of[i] := CASE WHEN stored_same[i] THEN 'replayed' ELSE 'key_reused' END;
            status_of[i] := stored_status[i];
            body_of[i] := stored_body[i];
        ELSIF current_version[i] <> p_expected_versions[i] THEN
            outcome_of[i] := 'conflict';
        ELSIF p_event_counts[i] = 0 THEN
            SELECT e.position INTO existing_position
            FROM events e WHERE e.stream_name = p_streams[i] AND e.version = p_existing_versions[i];
            IF FOUND THEN
                outcome_of[i] := 'unchanged';
                event_id_of[i] := existing_position;
            ELSE
                outcome_of[i] := 'conflict';
            END IF;
        ELSE
            outcome_of[i] := 'appended';
            appending := appending + p_event_counts[i];
        END IF;
    END LOOP;
    IF next_event - 1 <> events_given THEN
        RAISE EXCEPTION 'run_commands was given % events for commands that count %', events_given, next_event - 1
            USING ERRCODE = '22023';
    END IF;

    IF appending > 0 THEN
        -- The sequencer (append_events, migration 005): transaction id and positions together,
        -- under a session lock released by the block's last statement or its handler. One
        -- block per batch, not per command.
        BEGIN
            PERFORM pg_advisory_lock(7402, 0);
            xid := pg_current_xact_id();
            next_position := nextval('event_position_seq');
            IF appending > 1 THEN
                PERFORM setval('event_position_seq', next_position + appending - 1);
            END IF;
            PERFORM pg_advisory_unlock(7402, 0);
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            PERFORM pg_advisory_unlock(7402, 0);
            RAISE;
        END;
        FOR i IN 1..n LOOP
            IF outcome_of[i] = 'appended' THEN
                first_of[i] := next_position;
                next_position := next_position + p_event_counts[i];
                event_id_of[i] := next_position - 1;
            END IF;
        END LOOP;

        stamp := date_trunc('milliseconds', statement_timestamp());
        -- The pass for events_only_through_append_events (migration 006), for this statement.
        PERFORM set_config('tideline.appending', xid::text, true);
        INSERT INTO events (position, transaction_id, stream_name, version, type, data, metadata, occurred_at)
        SELECT first_of[c] + k, xid, p_streams[c], current_version[c] + k + 1,
               p_types[event_start[c] + k], p_data[event_start[c] + k]::jsonb, p_metadata[event_start[c] + k]::jsonb, stamp
        FROM generate_series(1, n) AS c, generate_series(0, p_event_counts[c] - 1) AS k
        WHERE outcome_of[c] = 'appended';
        PERFORM set_config('tideline.appending', '', true);

        INSERT INTO streams AS s (stream_name, version, snapshot)
        SELECT p_streams[c], current_version[c] + p_event_counts[c], nullif(p_snapshots[c], '')::jsonb
        FROM generate_series(1, n) AS c
        WHERE outcome_of[c] = 'appended'
        ON CONFLICT (stream_name) DO UPDATE
            SET version = EXCLUDED.version,
                snapshot = coalesce(EXCLUDED.snapshot, s.snapshot);
    END IF;

    FOR i IN 1..n LOOP
        IF outcome_of[i] IN ('appended', 'unchanged') THEN
            status_of[i] := p_statuses[i];
            body_of[i] := replace(p_bodies[i], '$event_id$', event_id_of[i]::text);
        END IF;
    END LOOP;
    -- The replies to keep. An unexpired row under a scope was found above (and the command not
    -- run); an expired one is replaced. now() is the transaction's, the same as above.
    INSERT INTO command_responses AS r (caller, scope, fingerprint, status, body, expires_at)
    SELECT p_callers[c], v.scope,
           CASE WHEN v.scope LIKE 'key:%' THEN md5(p_fingerprints[c]) END,
           status_of[c], body_of[c],
           CASE WHEN v.scope LIKE 'key:%' THEN now() + interval '24 hours' END
    FROM generate_series(1, n) AS c,
         LATERAL (VALUES (p_key_scopes[c]), (p_message_scopes[c])) AS v(scope)
    WHERE v.scope <> '' AND outcome_of[c] IN ('appended', 'unchanged')
    ON CONFLICT (caller, scope) DO UPDATE
        SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
            created_at = now(), expires_at = EXCLUDED.expires_at
        WHERE r.expires_at IS NOT NULL AND r.expires_at <= now();

    FOR i IN 1..n LOOP
        command := i;
        outcome := outcome_of[i];
        first_position := first_of[i];
        last_position := CASE WHEN outcome_of[i] = 'appended' THEN event_id_of[i] END;
        last_version := CASE outcome_of[i]
            WHEN 'appended' THEN current_version[i] + p_event_counts[i]
            WHEN 'unchanged' THEN current_version[i]
        END;
        event_id := event_id_of[i];
        status := status_of[i];
        body := body_of[i];
        RETURN NEXT;
    END LOOP;
END;
$$;
