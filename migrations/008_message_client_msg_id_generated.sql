-- Message entries answer `client_msg_id` as the client gave it, or null when it gave none
-- (contract section 10). The event stored the id the server generated in that case; from now on
-- its data also says `client_msg_id_generated: true`. Messages projected before carry no flag:
-- the server generated exactly `srv-` and a lower-case UUID, and a client id of that very shape
-- is taken as generated too (the projector applies the same rule to old events it replays;
-- MessagePosted.clientGaveNoID).

ALTER TABLE messages ADD COLUMN client_msg_id_generated boolean NOT NULL DEFAULT false;

UPDATE messages SET client_msg_id_generated = true
WHERE client_msg_id ~ '^srv-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
