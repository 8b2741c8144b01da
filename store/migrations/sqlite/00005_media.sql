-- Where each photo, voice or video a citizen sent is kept, once fetched
-- from WeChat (which holds media for three days only).

-- +goose Up
ALTER TABLE inbound_messages ADD COLUMN media_path TEXT NOT NULL DEFAULT '';
ALTER TABLE inbound_messages ADD COLUMN media_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbound_messages ADD COLUMN media_error TEXT NOT NULL DEFAULT '';
CREATE INDEX inbound_messages_media ON inbound_messages (media_path, media_attempts) WHERE media_id <> '';

-- +goose Down
DROP INDEX inbound_messages_media;
ALTER TABLE inbound_messages DROP COLUMN media_error;
ALTER TABLE inbound_messages DROP COLUMN media_attempts;
ALTER TABLE inbound_messages DROP COLUMN media_path;
