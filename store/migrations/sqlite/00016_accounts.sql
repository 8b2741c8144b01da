-- Staff accounts of the console, their sessions (kept by the hash of the
-- cookie's token), and the audit log of what staff did.

-- +goose Up
CREATE TABLE staff_users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT     NOT NULL UNIQUE,
    name            TEXT     NOT NULL,
    role            TEXT     NOT NULL,
    jurisdiction_id INTEGER  NULL REFERENCES jurisdictions (id),
    station_id      INTEGER  NULL REFERENCES stations (id),
    password_hash   TEXT     NOT NULL,
    failed_logins   INTEGER  NOT NULL DEFAULT 0,
    locked_until    DATETIME NULL,
    disabled        INTEGER  NOT NULL DEFAULT 0,
    created_at      DATETIME NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT     PRIMARY KEY,
    user_id    INTEGER  NOT NULL REFERENCES staff_users (id),
    csrf       TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       DATETIME NOT NULL,
    user_id  INTEGER  NULL,
    username TEXT     NOT NULL DEFAULT '',
    action   TEXT     NOT NULL,
    target   TEXT     NOT NULL DEFAULT '',
    detail   TEXT     NOT NULL DEFAULT '',
    ip       TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
