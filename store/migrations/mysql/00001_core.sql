-- The ground every later migration stands on: what WeChat pushed, who follows,
-- and the stations and deputies a code can name.

-- +goose Up
CREATE TABLE inbound_messages (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    dedup_key      VARCHAR(191) NOT NULL,
    account        VARCHAR(64)  NOT NULL,
    openid         VARCHAR(64)  NOT NULL,
    msg_type       VARCHAR(32)  NOT NULL,
    msg_id         BIGINT       NOT NULL DEFAULT 0,
    event          VARCHAR(64)  NOT NULL DEFAULT '',
    event_key      TEXT         NOT NULL,
    ticket         VARCHAR(255) NOT NULL DEFAULT '',
    content        MEDIUMTEXT   NOT NULL,
    media_id       VARCHAR(255) NOT NULL DEFAULT '',
    pic_url        TEXT         NOT NULL,
    format         VARCHAR(32)  NOT NULL DEFAULT '',
    recognition    TEXT         NOT NULL,
    thumb_media_id VARCHAR(255) NOT NULL DEFAULT '',
    location_x     DOUBLE       NULL,
    location_y     DOUBLE       NULL,
    scale          INT          NULL,
    label          TEXT         NOT NULL,
    latitude       DOUBLE       NULL,
    longitude      DOUBLE       NULL,
    `precision`    DOUBLE       NULL,
    title          TEXT         NOT NULL,
    description    TEXT         NOT NULL,
    url            TEXT         NOT NULL,
    raw            MEDIUMTEXT   NOT NULL,
    created_at     DATETIME(3)  NOT NULL,
    received_at    DATETIME(3)  NOT NULL,
    reply          TEXT         NOT NULL,
    UNIQUE KEY inbound_messages_dedup (dedup_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE followers (
    openid              VARCHAR(64) NOT NULL PRIMARY KEY,
    subscribed          BOOLEAN     NOT NULL,
    state_changed_at    DATETIME(3) NOT NULL,
    last_scene          VARCHAR(64) NULL,
    last_scene_at       DATETIME(3) NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE stations (
    id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code    VARCHAR(32)  COLLATE utf8mb4_bin NOT NULL,
    name    VARCHAR(255) NOT NULL,
    address VARCHAR(500) NOT NULL DEFAULT '',
    UNIQUE KEY stations_code (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE deputies (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code       VARCHAR(32)  COLLATE utf8mb4_bin NOT NULL,
    name       VARCHAR(64)  NOT NULL,
    level      VARCHAR(32)  NOT NULL DEFAULT '',
    station_id BIGINT       NOT NULL,
    UNIQUE KEY deputies_code (code),
    CONSTRAINT deputies_station FOREIGN KEY (station_id) REFERENCES stations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE deputies;
DROP TABLE stations;
DROP TABLE followers;
DROP TABLE inbound_messages;
