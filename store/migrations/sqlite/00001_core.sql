-- The ground every later migration stands on: what WeChat pushed, who follows,
-- and the stations and deputies a code can name.

-- +goose Up
CREATE TABLE inbound_messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key      TEXT     NOT NULL UNIQUE,
    account        TEXT     NOT NULL,
    openid         TEXT     NOT NULL,
    msg_type       TEXT     NOT NULL,
    msg_id         INTEGER  NOT NULL DEFAULT 0,
    event          TEXT     NOT NULL DEFAULT '',
    event_key      TEXT     NOT NULL DEFAULT '',
    ticket         TEXT     NOT NULL DEFAULT '',
    content        TEXT     NOT NULL DEFAULT '',
    media_id       TEXT     NOT NULL DEFAULT '',
    pic_url        TEXT     NOT NULL DEFAULT '',
    format         TEXT     NOT NULL DEFAULT '',
    recognition    TEXT     NOT NULL DEFAULT '',
    thumb_media_id TEXT     NOT NULL DEFAULT '',
    location_x     REAL,
    location_y     REAL,
    scale          INTEGER,
    label          TEXT     NOT NULL DEFAULT '',
    latitude       REAL,
    longitude      REAL,
    precision      REAL,
    title          TEXT     NOT NULL DEFAULT '',
    description    TEXT     NOT NULL DEFAULT '',
    url            TEXT     NOT NULL DEFAULT '',
    raw            TEXT     NOT NULL,
    created_at     DATETIME NOT NULL,
    received_at    DATETIME NOT NULL,
    reply          TEXT     NOT NULL DEFAULT ''
);

CREATE TABLE followers (
    openid              TEXT     PRIMARY KEY,
    subscribed          INTEGER  NOT NULL,
    state_changed_at    DATETIME NOT NULL,
    last_scene          TEXT,
    last_scene_at       DATETIME
);

CREATE TABLE stations (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    code    TEXT NOT NULL UNIQUE,
    name    TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);

CREATE TABLE deputies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    level      TEXT    NOT NULL DEFAULT '',
    station_id INTEGER NOT NULL REFERENCES stations (id)
);

-- +goose Down
DROP TABLE deputies;
DROP TABLE stations;
DROP TABLE followers;
DROP TABLE inbound_messages;
