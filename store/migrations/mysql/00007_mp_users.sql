-- Citizens who signed in to the Mini Program.

-- +goose Up
CREATE TABLE mp_users (
    openid        VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    unionid       VARCHAR(64) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    created_at    DATETIME(3) NOT NULL,
    last_login_at DATETIME(3) NOT NULL,
    KEY mp_users_unionid (unionid)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- +goose Down
DROP TABLE mp_users;
