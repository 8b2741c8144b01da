-- Where each photo, voice or video a citizen sent is kept, once fetched
-- from WeChat (which holds media for three days only).

-- +goose Up
ALTER TABLE inbound_messages
    ADD COLUMN media_path     VARCHAR(500) NOT NULL DEFAULT '',
    ADD COLUMN media_attempts INT          NOT NULL DEFAULT 0,
    ADD COLUMN media_error    VARCHAR(500) NOT NULL DEFAULT '',
    ADD KEY inbound_messages_media (media_path(1), media_attempts);

-- +goose Down
ALTER TABLE inbound_messages DROP KEY inbound_messages_media, DROP COLUMN media_error, DROP COLUMN media_attempts, DROP COLUMN media_path;
