-- Deputies' duty record (履职档案) and points (积分). The record says what a
-- deputy did; the points come from rules kept as data; the ledger is only
-- ever added to: a correction is another entry, never an edit.

-- +goose Up
ALTER TABLE cases
    ADD COLUMN handler_deputy_id BIGINT NULL,
    ADD CONSTRAINT cases_handler_deputy FOREIGN KEY (handler_deputy_id) REFERENCES deputies (id);

CREATE TABLE point_rules (
    action VARCHAR(32)  NOT NULL PRIMARY KEY,
    points INT          NOT NULL,
    reason VARCHAR(100) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO point_rules (action, points, reason) VALUES
    ('attend', 5, '参加履职活动'),
    ('accept', 2, '接单办理群众反映的问题'),
    ('close', 5, '办结群众反映的问题'),
    ('satisfied', 3, '群众对办理结果满意'),
    ('reply', 1, '为群众拟写答复');

CREATE TABLE duty_records (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    deputy_id   BIGINT       NOT NULL,
    action      VARCHAR(32)  NOT NULL,
    case_id     BIGINT       NOT NULL DEFAULT 0,
    activity_id BIGINT       NOT NULL DEFAULT 0,
    at          DATETIME(3)  NOT NULL,
    detail      VARCHAR(500) NOT NULL DEFAULT '',
    UNIQUE KEY duty_records_once (deputy_id, action, case_id, activity_id),
    KEY duty_records_at (at),
    CONSTRAINT duty_records_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE point_entries (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    deputy_id      BIGINT       NOT NULL,
    duty_record_id BIGINT       NULL,
    points         INT          NOT NULL,
    reason         VARCHAR(200) NOT NULL,
    at             DATETIME(3)  NOT NULL,
    entered_by     VARCHAR(64)  NOT NULL DEFAULT '',
    KEY point_entries_deputy (deputy_id, at),
    CONSTRAINT point_entries_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id),
    CONSTRAINT point_entries_record FOREIGN KEY (duty_record_id) REFERENCES duty_records (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose StatementBegin
CREATE TRIGGER point_entries_never_updated BEFORE UPDATE ON point_entries FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'point entries are never edited: add a correcting entry';
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER point_entries_never_deleted BEFORE DELETE ON point_entries FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'point entries are never deleted: add a correcting entry';
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER point_entries_never_deleted;
DROP TRIGGER point_entries_never_updated;
DROP TABLE point_entries;
DROP TABLE duty_records;
DROP TABLE point_rules;
ALTER TABLE cases DROP FOREIGN KEY cases_handler_deputy, DROP COLUMN handler_deputy_id;
