-- Presence (contract section 9): who is online in which room, across server processes.
--
-- Ephemeral like typing: never an event, never replayed. Each process writes a row per
-- (room, user) it has a live subscriber for, and keeps a heartbeat row of its own; a process
-- whose heartbeat is older than the expiry (20 s by default) is dead, and the first process to
-- notice deletes it, its rows with it (ON DELETE CASCADE). Readers ignore stale processes even
-- before that. Changes ring the NOTIFY channel tideline_presence with the rooms they touched.
--
-- UNLOGGED: not written to the WAL (cheap, and not replicated) and emptied after a crash, which
-- is what presence should do: processes write their rows again on their next heartbeat.

CREATE UNLOGGED TABLE presence_processes (
    process_id uuid PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE UNLOGGED TABLE presence (
    room_id text NOT NULL,
    user_id text NOT NULL,
    process_id uuid NOT NULL REFERENCES presence_processes ON DELETE CASCADE,
    PRIMARY KEY (room_id, user_id, process_id)
);

-- Deleting a process (and resyncing one) finds its rows by process.
CREATE INDEX presence_by_process ON presence (process_id);
