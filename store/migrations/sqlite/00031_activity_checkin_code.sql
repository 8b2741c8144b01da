-- An activity's check-in code, as WeChat issued it: asked for once and
-- kept until it expires, rather than asked for again at every page view.

-- +goose Up
ALTER TABLE activities ADD COLUMN checkin_ticket TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN checkin_url TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN checkin_expires_at DATETIME NULL;

-- +goose Down
ALTER TABLE activities DROP COLUMN checkin_expires_at;
ALTER TABLE activities DROP COLUMN checkin_url;
ALTER TABLE activities DROP COLUMN checkin_ticket;
