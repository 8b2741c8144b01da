-- What one citizen may cost (issue 15): the uploads of a citizen not yet in
-- a case (their quota) and those no case took (swept after a day) are
-- found by index; so are the new-case notices queued to one person in the
-- last minute (at most MASHANG_DEPUTY_NOTICES_PER_MINUTE of them).

-- +goose Up
CREATE INDEX uploads_unattached ON uploads (openid, case_id);
CREATE INDEX uploads_stale ON uploads (case_id, created_at);
CREATE INDEX outbox_recipient ON outbox (to_user, next_at);

-- +goose Down
DROP INDEX outbox_recipient;
DROP INDEX uploads_stale;
DROP INDEX uploads_unattached;
