-- Cases: what citizens raise, where it was routed and why, the timeline;
-- keyword rules that pick a case's category; the outbox of notifications
-- written in the same transaction as the case.

-- +goose Up
CREATE TABLE case_numbers (
    day  CHAR(6) NOT NULL PRIMARY KEY,
    last INT     NOT NULL
) ENGINE = InnoDB;

CREATE TABLE cases (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    number          VARCHAR(16)  NOT NULL,
    openid          VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    scene           VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    station_id      BIGINT       NOT NULL,
    deputy_id       BIGINT       NULL,
    group_id        BIGINT       NULL,
    category        VARCHAR(64)  NOT NULL DEFAULT '',
    status          VARCHAR(16)  NOT NULL DEFAULT 'open',
    summary         VARCHAR(500) NOT NULL DEFAULT '',
    created_at      DATETIME(3)  NOT NULL,
    last_message_at DATETIME(3)  NOT NULL,
    UNIQUE KEY cases_number (number),
    KEY cases_openid (openid, last_message_at),
    KEY cases_station (station_id, created_at),
    CONSTRAINT cases_station FOREIGN KEY (station_id) REFERENCES stations (id),
    CONSTRAINT cases_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id),
    CONSTRAINT cases_group FOREIGN KEY (group_id) REFERENCES deputy_groups (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE case_messages (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    case_id     BIGINT       NOT NULL,
    dedup_key   VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    msg_type    VARCHAR(32)  NOT NULL,
    content     MEDIUMTEXT   NULL,
    media_id    VARCHAR(255) NOT NULL DEFAULT '',
    media_path  VARCHAR(500) NOT NULL DEFAULT '',
    recognition TEXT         NULL,
    latitude    DOUBLE       NULL,
    longitude   DOUBLE       NULL,
    label       VARCHAR(500) NOT NULL DEFAULT '',
    created_at  DATETIME(3)  NOT NULL,
    UNIQUE KEY case_messages_dedup (dedup_key),
    KEY case_messages_case (case_id, id),
    CONSTRAINT case_messages_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE case_events (
    id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    case_id BIGINT       NOT NULL,
    at      DATETIME(3)  NOT NULL,
    kind    VARCHAR(32)  NOT NULL,
    actor   VARCHAR(100) NOT NULL DEFAULT '',
    detail  TEXT         NULL,
    KEY case_events_case (case_id, id),
    CONSTRAINT case_events_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE category_keywords (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    station_id  BIGINT      NULL,
    category_id BIGINT      NOT NULL,
    keyword     VARCHAR(50) NOT NULL,
    station_key BIGINT      AS (IFNULL(station_id, 0)) STORED,
    UNIQUE KEY category_keywords_rule (station_key, category_id, keyword),
    CONSTRAINT category_keywords_station FOREIGN KEY (station_id) REFERENCES stations (id),
    CONSTRAINT category_keywords_category FOREIGN KEY (category_id) REFERENCES categories (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE outbox (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind          VARCHAR(16)  NOT NULL,
    case_id       BIGINT       NULL,
    to_user       VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    template_id   VARCHAR(128) NOT NULL DEFAULT '',
    url           VARCHAR(500) NOT NULL DEFAULT '',
    data          TEXT         NULL,
    client_msg_id VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    status        VARCHAR(16)  NOT NULL DEFAULT 'pending',
    attempts      INT          NOT NULL DEFAULT 0,
    next_at       DATETIME(3)  NOT NULL,
    claimed_until DATETIME(3)  NULL,
    errcode       INT          NOT NULL DEFAULT 0,
    last_error    VARCHAR(500) NOT NULL DEFAULT '',
    msg_id        BIGINT       NOT NULL DEFAULT 0,
    created_at    DATETIME(3)  NOT NULL,
    sent_at       DATETIME(3)  NULL,
    UNIQUE KEY outbox_client_msg (client_msg_id),
    KEY outbox_due (status, next_at),
    CONSTRAINT outbox_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE staff_alerts (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    station_id BIGINT      NULL,
    case_id    BIGINT      NULL,
    message    TEXT        NOT NULL,
    created_at DATETIME(3) NOT NULL,
    seen_at    DATETIME(3) NULL,
    CONSTRAINT staff_alerts_station FOREIGN KEY (station_id) REFERENCES stations (id),
    CONSTRAINT staff_alerts_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE staff_alerts;
DROP TABLE outbox;
DROP TABLE category_keywords;
DROP TABLE case_events;
DROP TABLE case_messages;
DROP TABLE cases;
DROP TABLE case_numbers;
