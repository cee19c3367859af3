-- Read tables maintained by the read-model projector from the log. They are derived data:
-- dropping them and resetting the 'read_model' checkpoint rebuilds them from the events.
-- Ids use the "C" collation so that paging by id orders bytewise whatever the cluster's locale.

CREATE TABLE rooms (
    room_id          text COLLATE "C" NOT NULL,
    name             text   NOT NULL,
    visibility       text   NOT NULL,
    created_by       text   NOT NULL,
    member_count     integer NOT NULL DEFAULT 0,
    last_event_id    bigint NOT NULL,
    CONSTRAINT rooms_pkey PRIMARY KEY (room_id),
    CONSTRAINT rooms_visibility_check CHECK (visibility IN ('public', 'private'))
);

CREATE TABLE room_members (
    room_id         text COLLATE "C" NOT NULL,
    user_id         text COLLATE "C" NOT NULL,
    joined_event_id bigint NOT NULL,
    CONSTRAINT room_members_pkey PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user_idx ON room_members (user_id, room_id);

CREATE TABLE messages (
    event_id      bigint      NOT NULL,
    room_id       text COLLATE "C" NOT NULL,
    message_id    text        NOT NULL,
    author        text        NOT NULL,
    text          text        NOT NULL,
    client_msg_id text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    CONSTRAINT messages_pkey PRIMARY KEY (event_id)
);
CREATE INDEX messages_room_event_idx ON messages (room_id, event_id);

CREATE TABLE orders (
    order_id    text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    items       jsonb       NOT NULL,
    total_cents bigint      NOT NULL,
    currency    text        NOT NULL,
    event_id    bigint      NOT NULL,
    occurred_at timestamptz NOT NULL,
    CONSTRAINT orders_pkey PRIMARY KEY (order_id)
);
CREATE INDEX orders_event_idx ON orders (event_id);
CREATE INDEX orders_customer_event_idx ON orders (customer_id, event_id);

CREATE TABLE notifications (
    user_id          text COLLATE "C" NOT NULL,
    notification_id  text COLLATE "C" NOT NULL,
    kind             text        NOT NULL,
    content          text        NOT NULL,
    related_event_id text,
    read             boolean     NOT NULL DEFAULT false,
    event_id         bigint      NOT NULL,
    occurred_at      timestamptz NOT NULL,
    CONSTRAINT notifications_pkey PRIMARY KEY (user_id, notification_id)
);
CREATE INDEX notifications_user_event_idx ON notifications (user_id, event_id DESC);
