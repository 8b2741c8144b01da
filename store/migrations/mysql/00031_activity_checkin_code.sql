-- An activity's check-in code, as WeChat issued it: asked for once and
-- kept until it expires, rather than asked for again at every page view.

-- +goose Up
ALTER TABLE activities
    ADD COLUMN checkin_ticket     VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN checkin_url        VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN checkin_expires_at DATETIME(3)  NULL;

-- +goose Down
ALTER TABLE activities
    DROP COLUMN checkin_expires_at,
    DROP COLUMN checkin_url,
    DROP COLUMN checkin_ticket;
