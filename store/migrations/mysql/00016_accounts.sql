-- Staff accounts of the console, their sessions (kept by the hash of the
-- cookie's token), and the audit log of what staff did.

-- +goose Up
CREATE TABLE staff_users (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username        VARCHAR(32)  COLLATE utf8mb4_bin NOT NULL,
    name            VARCHAR(50)  NOT NULL,
    role            VARCHAR(16)  NOT NULL,
    jurisdiction_id BIGINT       NULL,
    station_id      BIGINT       NULL,
    password_hash   VARCHAR(100) NOT NULL,
    failed_logins   INT          NOT NULL DEFAULT 0,
    locked_until    DATETIME(3)  NULL,
    disabled        BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at      DATETIME(3)  NOT NULL,
    UNIQUE KEY staff_users_username (username),
    CONSTRAINT staff_users_jurisdiction FOREIGN KEY (jurisdiction_id) REFERENCES jurisdictions (id),
    CONSTRAINT staff_users_station FOREIGN KEY (station_id) REFERENCES stations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE staff_sessions (
    token_hash CHAR(64)    NOT NULL PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    csrf       VARCHAR(64) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    KEY staff_sessions_user (user_id),
    CONSTRAINT staff_sessions_user FOREIGN KEY (user_id) REFERENCES staff_users (id)
) ENGINE = InnoDB;

CREATE TABLE audit_log (
    id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at       DATETIME(3)  NOT NULL,
    user_id  BIGINT       NULL,
    username VARCHAR(32)  NOT NULL DEFAULT '',
    action   VARCHAR(32)  NOT NULL,
    target   VARCHAR(64)  NOT NULL DEFAULT '',
    detail   TEXT         NULL,
    ip       VARCHAR(64)  NOT NULL DEFAULT '',
    KEY audit_log_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE audit_log;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
