-- Citizens who signed in to the Mini Program.

-- +goose Up
CREATE TABLE mp_users (
    openid        TEXT     PRIMARY KEY,
    unionid       TEXT     NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    last_login_at DATETIME NOT NULL
);
CREATE INDEX mp_users_unionid ON mp_users (unionid);

-- +goose Down
DROP TABLE mp_users;
