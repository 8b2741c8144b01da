-- Photos citizens upload for their cases, and WeChat's check of each
-- (the asynchronous media check: pending until its verdict is pushed).

-- +goose Up
CREATE TABLE uploads (
    id           TEXT     PRIMARY KEY, -- random, 32 hex digits
    openid       TEXT     NOT NULL,
    path         TEXT     NOT NULL,
    content_type TEXT     NOT NULL,
    size         INTEGER  NOT NULL,
    sha256       TEXT     NOT NULL,
    width        INTEGER  NOT NULL,
    height       INTEGER  NOT NULL,
    check_status TEXT     NOT NULL DEFAULT 'unchecked',
    check_label  INTEGER  NOT NULL DEFAULT 0,
    trace_id     TEXT     NULL UNIQUE,
    case_id      INTEGER  NULL REFERENCES cases (id),
    created_at   DATETIME NOT NULL,
    checked_at   DATETIME NULL
);
CREATE INDEX uploads_unchecked ON uploads (check_status, created_at);
CREATE INDEX uploads_case ON uploads (case_id);

-- +goose Down
DROP TABLE uploads;
