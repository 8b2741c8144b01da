-- Photos citizens upload for their cases, and WeChat's check of each
-- (the asynchronous media check: pending until its verdict is pushed).

-- +goose Up
CREATE TABLE uploads (
    id           CHAR(32)     NOT NULL PRIMARY KEY,
    openid       VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    path         VARCHAR(255) NOT NULL,
    content_type VARCHAR(32)  NOT NULL,
    size         BIGINT       NOT NULL,
    sha256       CHAR(64)     NOT NULL,
    width        INT          NOT NULL,
    height       INT          NOT NULL,
    check_status VARCHAR(16)  NOT NULL DEFAULT 'unchecked',
    check_label  INT          NOT NULL DEFAULT 0,
    trace_id     VARCHAR(128) COLLATE utf8mb4_bin NULL,
    case_id      BIGINT       NULL,
    created_at   DATETIME(3)  NOT NULL,
    checked_at   DATETIME(3)  NULL,
    UNIQUE KEY uploads_trace (trace_id),
    KEY uploads_unchecked (check_status, created_at),
    KEY uploads_case (case_id),
    CONSTRAINT uploads_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE uploads;
