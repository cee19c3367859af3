-- Responses to commands that carried an Idempotency-Key header or a client_msg_id, written in
-- the same transaction as the command's events: a retried command returns the first response
-- and appends nothing.
CREATE TABLE command_responses (
    caller      text        NOT NULL,
    -- 'key:<Idempotency-Key>' or 'client_msg:<room_id>:<client_msg_id>'
    scope       text        NOT NULL,
    -- What the command was (method, path, body digest); NULL where any repeat counts as the same.
    fingerprint text,
    status      integer     NOT NULL,
    body        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- NULL = kept for good (client_msg_id); else the record stops counting after this time.
    expires_at  timestamptz,
    CONSTRAINT command_responses_pkey PRIMARY KEY (caller, scope)
);
CREATE INDEX command_responses_expires_idx ON command_responses (expires_at) WHERE expires_at IS NOT NULL;
