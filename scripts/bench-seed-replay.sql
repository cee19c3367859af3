-- scripts/bench-seed-replay.sql: stores :events chat messages in the room `replay` for the replay
-- benchmark, in one transaction, as if they had been posted one by one. Run with the server
-- stopped, after the room was created through the API (so its stream and snapshot are real).
-- The projectors' checkpoints move past them: the benchmark measures replay alone, not the
-- read model catching up at the same time.
BEGIN;
-- A deliberate bulk load: the pass that otherwise only append_events holds (migration 006).
SELECT set_config('tideline.appending', pg_current_xact_id()::text, true);
INSERT INTO events (position, transaction_id, stream_name, version, type, data, metadata, occurred_at)
SELECT nextval('event_position_seq'), pg_current_xact_id(), 'room-replay', head.version + g, 'chat.message_posted',
       jsonb_build_object('room_id', 'replay', 'message_id', 'm-seed-' || g, 'author', 'bench',
                          'text', 'message ' || g || ' of a long history, about sixty characters', 'client_msg_id', 'c-' || g),
       jsonb_build_object('actor', 'bench', 'command_id', 'seed-' || g, 'correlation_id', 'seed-' || g, 'causation_id', NULL),
       now()
FROM (SELECT version FROM streams WHERE stream_name = 'room-replay') AS head, generate_series(1, :events) AS g
ORDER BY g;
UPDATE streams SET version = version + :events WHERE stream_name = 'room-replay';
INSERT INTO checkpoints (name, position)
SELECT name, (SELECT max(position) FROM events) FROM (VALUES ('read_model'), ('order_notifications')) AS c(name)
ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position;
COMMIT;
