-- The codes WeChat issued for stations and deputies, kept so each is made
-- once (permanent codes are a quota of 100,000), and the one-time codes
-- deputies scan to bind their WeChat.

-- +goose Up
CREATE TABLE issued_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT     NOT NULL, -- oa: Official Account permanent code; mp: Mini Program code
    scene      TEXT     NOT NULL,
    ticket     TEXT     NOT NULL DEFAULT '',
    url        TEXT     NOT NULL DEFAULT '',
    image      BLOB,
    created_at DATETIME NOT NULL,
    UNIQUE (channel, scene)
);

CREATE TABLE bind_tokens (
    token      TEXT     PRIMARY KEY,
    deputy_id  INTEGER  NOT NULL REFERENCES deputies (id),
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    used_by    TEXT
);

-- +goose Down
DROP TABLE bind_tokens;
DROP TABLE issued_codes;
