-- Publishing on the results wall is a staff decision (issue 16): the text
-- a staff member reviewed and published is kept as published (wall_entries);
-- the wall shows it while the case stays closed as it was when it was
-- published (decided_at not before closed_at): a case reopened and closed
-- again leaves the wall until it is published again.
-- wall_waiting is the queue of consented closed cases no one has decided
-- on yet, kept by triggers so that no path that closes a case or records
-- consent can forget it, and so that the to-do list reads only what waits,
-- never every case ever published.
-- The to-do list (待办): an alert is marked done by someone; a derived item
-- (a hand-over not acknowledged, a draft, a result…) is dismissed until it
-- changes: it shows again when its own time is later than the dismissal.

-- +goose Up
CREATE TABLE wall_entries (
    case_id    BIGINT       NOT NULL PRIMARY KEY,
    problem    TEXT         NOT NULL,
    result     TEXT         NOT NULL,
    published  TINYINT(1)   NOT NULL DEFAULT 0,
    decided_at DATETIME(3)  NOT NULL,
    decided_by VARCHAR(128) NOT NULL,
    reason     TEXT         NOT NULL,
    KEY wall_entries_published (published, decided_at),
    CONSTRAINT wall_entries_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE wall_waiting (
    case_id BIGINT      NOT NULL PRIMARY KEY,
    since   DATETIME(3) NOT NULL,
    KEY wall_waiting_since (since),
    CONSTRAINT wall_waiting_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO wall_waiting (case_id, since)
    SELECT id, closed_at FROM cases WHERE status = 'closed' AND public_consent = 1 AND closed_at IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER wall_waiting_insert AFTER INSERT ON cases FOR EACH ROW
BEGIN
    IF NEW.status = 'closed' AND NEW.public_consent = 1 AND NEW.closed_at IS NOT NULL THEN
        INSERT INTO wall_waiting (case_id, since) VALUES (NEW.id, NEW.closed_at)
        ON DUPLICATE KEY UPDATE since = VALUES(since);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER wall_waiting_update AFTER UPDATE ON cases FOR EACH ROW
BEGIN
    IF NEW.status = 'closed' AND NEW.public_consent = 1 AND NEW.closed_at IS NOT NULL
       AND (OLD.status <> 'closed' OR OLD.public_consent = 0 OR OLD.closed_at IS NULL OR OLD.closed_at <> NEW.closed_at) THEN
        INSERT INTO wall_waiting (case_id, since) VALUES (NEW.id, NEW.closed_at)
        ON DUPLICATE KEY UPDATE since = VALUES(since);
    END IF;
END;
-- +goose StatementEnd

ALTER TABLE staff_alerts ADD COLUMN done_by VARCHAR(128) NOT NULL DEFAULT '';
CREATE INDEX staff_alerts_open ON staff_alerts (seen_at, station_id);
CREATE INDEX case_departments_unacknowledged ON case_departments (acknowledged_at, ack_due);
CREATE INDEX cases_poor_reopened ON cases (rating, status);
CREATE INDEX case_events_kind ON case_events (kind, case_id);

CREATE TABLE todo_dismissals (
    kind         VARCHAR(32)  NOT NULL,
    case_id      BIGINT       NOT NULL,
    ref          BIGINT       NOT NULL DEFAULT 0,
    dismissed_at DATETIME(3)  NOT NULL,
    dismissed_by VARCHAR(128) NOT NULL,
    PRIMARY KEY (kind, case_id, ref),
    CONSTRAINT todo_dismissals_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE todo_dismissals;
DROP INDEX case_events_kind ON case_events;
DROP INDEX cases_poor_reopened ON cases;
DROP INDEX case_departments_unacknowledged ON case_departments;
DROP INDEX staff_alerts_open ON staff_alerts;
ALTER TABLE staff_alerts DROP COLUMN done_by;
DROP TRIGGER wall_waiting_update;
DROP TRIGGER wall_waiting_insert;
DROP TABLE wall_waiting;
DROP TABLE wall_entries;
