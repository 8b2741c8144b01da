-- Deputies' duty record (履职档案) and points (积分). The record says what a
-- deputy did; the points come from rules kept as data; the ledger is only
-- ever added to: a correction is another entry, never an edit.

-- +goose Up
ALTER TABLE cases ADD COLUMN handler_deputy_id INTEGER NULL REFERENCES deputies (id);

CREATE TABLE point_rules (
    action TEXT    PRIMARY KEY,
    points INTEGER NOT NULL,
    reason TEXT    NOT NULL
);
INSERT INTO point_rules (action, points, reason) VALUES
    ('attend', 5, '参加履职活动'),
    ('accept', 2, '接单办理群众反映的问题'),
    ('close', 5, '办结群众反映的问题'),
    ('satisfied', 3, '群众对办理结果满意'),
    ('reply', 1, '为群众拟写答复');

CREATE TABLE duty_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    deputy_id   INTEGER  NOT NULL REFERENCES deputies (id),
    action      TEXT     NOT NULL,
    case_id     INTEGER  NOT NULL DEFAULT 0, -- 0: none
    activity_id INTEGER  NOT NULL DEFAULT 0, -- 0: none
    at          DATETIME NOT NULL,
    detail      TEXT     NOT NULL DEFAULT ''
);
-- One record per deputy, action and case or activity: a case closed again
-- after a reopening earns nothing twice.
CREATE UNIQUE INDEX duty_records_once ON duty_records (deputy_id, action, case_id, activity_id);
CREATE INDEX duty_records_at ON duty_records (at);

CREATE TABLE point_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    deputy_id      INTEGER  NOT NULL REFERENCES deputies (id),
    duty_record_id INTEGER  NULL REFERENCES duty_records (id),
    points         INTEGER  NOT NULL,
    reason         TEXT     NOT NULL,
    at             DATETIME NOT NULL,
    entered_by     TEXT     NOT NULL DEFAULT '' -- who added a correction; '' for the rules
);
CREATE INDEX point_entries_deputy ON point_entries (deputy_id, at);

-- +goose StatementBegin
CREATE TRIGGER point_entries_never_updated BEFORE UPDATE ON point_entries
BEGIN
    SELECT RAISE(ABORT, 'point entries are never edited: add a correcting entry');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER point_entries_never_deleted BEFORE DELETE ON point_entries
BEGIN
    SELECT RAISE(ABORT, 'point entries are never deleted: add a correcting entry');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER point_entries_never_deleted;
DROP TRIGGER point_entries_never_updated;
DROP TABLE point_entries;
DROP TABLE duty_records;
DROP TABLE point_rules;
ALTER TABLE cases DROP COLUMN handler_deputy_id;
