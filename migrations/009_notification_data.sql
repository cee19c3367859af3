-- Notifications carry structured `data` beside their English `content` (contract section 10):
-- for an order, its order_id, total_cents and currency. Events from now on carry it, and the
-- projector stores it here. Notifications stored before have none: the notification list derives
-- an order's `data` from the order its related_event_id names (NotificationsQuery), so nothing is
-- backfilled and a read model rebuilt from old events answers the same. Others answer null.

ALTER TABLE notifications ADD COLUMN data jsonb;
