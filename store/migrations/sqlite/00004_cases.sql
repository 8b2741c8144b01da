-- Cases: what citizens raise, where it was routed and why, the timeline;
-- keyword rules that pick a case's category; the outbox of notifications
-- written in the same transaction as the case.

-- +goose Up
CREATE TABLE case_numbers (
    day  TEXT    PRIMARY KEY, -- YYMMDD, China time
    last INTEGER NOT NULL
);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT     NOT NULL UNIQUE,
    openid          TEXT     NOT NULL,
    scene           TEXT     NOT NULL,
    station_id      INTEGER  NOT NULL REFERENCES stations (id),
    deputy_id       INTEGER  REFERENCES deputies (id),
    group_id        INTEGER  REFERENCES deputy_groups (id),
    category        TEXT     NOT NULL DEFAULT '',
    status          TEXT     NOT NULL DEFAULT 'open',
    summary         TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    last_message_at DATETIME NOT NULL
);
CREATE INDEX cases_openid ON cases (openid, last_message_at);
CREATE INDEX cases_station ON cases (station_id, created_at);

CREATE TABLE case_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER  NOT NULL REFERENCES cases (id),
    dedup_key   TEXT     NOT NULL UNIQUE,
    msg_type    TEXT     NOT NULL,
    content     TEXT     NOT NULL DEFAULT '',
    media_id    TEXT     NOT NULL DEFAULT '',
    media_path  TEXT     NOT NULL DEFAULT '',
    recognition TEXT     NOT NULL DEFAULT '',
    latitude    REAL,
    longitude   REAL,
    label       TEXT     NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);

CREATE TABLE case_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER  NOT NULL REFERENCES cases (id),
    at      DATETIME NOT NULL,
    kind    TEXT     NOT NULL, -- opened, message, routed, notified, alert, reply, …
    actor   TEXT     NOT NULL DEFAULT '',
    detail  TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE category_keywords (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id  INTEGER REFERENCES stations (id), -- NULL: every station
    category_id INTEGER NOT NULL REFERENCES categories (id),
    keyword     TEXT    NOT NULL
);
CREATE UNIQUE INDEX category_keywords_rule ON category_keywords (COALESCE(station_id, 0), category_id, keyword);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT     NOT NULL, -- template
    case_id       INTEGER  REFERENCES cases (id),
    to_user       TEXT     NOT NULL,
    template_id   TEXT     NOT NULL DEFAULT '',
    url           TEXT     NOT NULL DEFAULT '',
    data          TEXT     NOT NULL DEFAULT '', -- JSON object of field → value
    client_msg_id TEXT     NOT NULL UNIQUE,
    status        TEXT     NOT NULL DEFAULT 'pending', -- pending, sent, failed
    attempts      INTEGER  NOT NULL DEFAULT 0,
    next_at       DATETIME NOT NULL,
    claimed_until DATETIME,
    errcode       INTEGER  NOT NULL DEFAULT 0,
    last_error    TEXT     NOT NULL DEFAULT '',
    msg_id        INTEGER  NOT NULL DEFAULT 0,
    created_at    DATETIME NOT NULL,
    sent_at       DATETIME
);
CREATE INDEX outbox_due ON outbox (status, next_at);

CREATE TABLE staff_alerts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id INTEGER  REFERENCES stations (id),
    case_id    INTEGER  REFERENCES cases (id),
    message    TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    seen_at    DATETIME
);

-- +goose Down
DROP TABLE staff_alerts;
DROP TABLE outbox;
DROP TABLE category_keywords;
DROP TABLE case_events;
DROP TABLE case_messages;
DROP TABLE cases;
DROP TABLE case_numbers;
