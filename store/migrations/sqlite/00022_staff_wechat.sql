-- Staff bind their WeChat (by scanning a one-time code they make in the
-- console) so that yellow and red supervision notices reach them: yellow
-- the station's secretaries, red the chairs of the station's level.

-- +goose Up
ALTER TABLE staff_users ADD COLUMN openid TEXT NULL;
ALTER TABLE staff_users ADD COLUMN chair INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX staff_users_openid ON staff_users (openid);

CREATE TABLE staff_bind_tokens (
    token      TEXT     PRIMARY KEY,
    user_id    INTEGER  NOT NULL REFERENCES staff_users (id),
    expires_at DATETIME NOT NULL,
    used_at    DATETIME NULL,
    used_by    TEXT     NULL
);

-- +goose Down
DROP TABLE staff_bind_tokens;
DROP INDEX staff_users_openid;
ALTER TABLE staff_users DROP COLUMN chair;
ALTER TABLE staff_users DROP COLUMN openid;
