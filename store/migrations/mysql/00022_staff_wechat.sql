-- Staff bind their WeChat (by scanning a one-time code they make in the
-- console) so that yellow and red supervision notices reach them: yellow
-- the station's secretaries, red the chairs of the station's level.

-- +goose Up
ALTER TABLE staff_users
    ADD COLUMN openid VARCHAR(64) COLLATE utf8mb4_bin NULL,
    ADD COLUMN chair  TINYINT NOT NULL DEFAULT 0,
    ADD UNIQUE KEY staff_users_openid (openid);

CREATE TABLE staff_bind_tokens (
    token      VARCHAR(32) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    used_at    DATETIME(3) NULL,
    used_by    VARCHAR(64) COLLATE utf8mb4_bin NULL,
    CONSTRAINT staff_bind_tokens_user FOREIGN KEY (user_id) REFERENCES staff_users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE staff_bind_tokens;
ALTER TABLE staff_users DROP KEY staff_users_openid, DROP COLUMN chair, DROP COLUMN openid;
