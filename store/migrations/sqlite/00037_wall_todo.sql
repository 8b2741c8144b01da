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
    case_id    INTEGER  PRIMARY KEY REFERENCES cases (id),
    problem    TEXT     NOT NULL,
    result     TEXT     NOT NULL,
    published  INTEGER  NOT NULL DEFAULT 0,
    decided_at DATETIME NOT NULL,
    decided_by TEXT     NOT NULL,
    reason     TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX wall_entries_published ON wall_entries (published, decided_at);

CREATE TABLE wall_waiting (
    case_id INTEGER  PRIMARY KEY REFERENCES cases (id),
    since   DATETIME NOT NULL
);
CREATE INDEX wall_waiting_since ON wall_waiting (since);
INSERT INTO wall_waiting (case_id, since)
    SELECT id, closed_at FROM cases WHERE status = 'closed' AND public_consent = 1 AND closed_at IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER wall_waiting_insert AFTER INSERT ON cases
WHEN NEW.status = 'closed' AND NEW.public_consent = 1 AND NEW.closed_at IS NOT NULL
BEGIN
    INSERT INTO wall_waiting (case_id, since) VALUES (NEW.id, NEW.closed_at)
    ON CONFLICT (case_id) DO UPDATE SET since = excluded.since;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER wall_waiting_update AFTER UPDATE OF status, public_consent, closed_at ON cases
WHEN NEW.status = 'closed' AND NEW.public_consent = 1 AND NEW.closed_at IS NOT NULL
 AND (OLD.status <> 'closed' OR OLD.public_consent = 0 OR OLD.closed_at IS NULL OR OLD.closed_at <> NEW.closed_at)
BEGIN
    INSERT INTO wall_waiting (case_id, since) VALUES (NEW.id, NEW.closed_at)
    ON CONFLICT (case_id) DO UPDATE SET since = excluded.since;
END;
-- +goose StatementEnd

ALTER TABLE staff_alerts ADD COLUMN done_by TEXT NOT NULL DEFAULT '';
CREATE INDEX staff_alerts_open ON staff_alerts (seen_at, station_id);
CREATE INDEX case_departments_unacknowledged ON case_departments (acknowledged_at, ack_due);
CREATE INDEX cases_poor_reopened ON cases (rating, status);
CREATE INDEX case_events_kind ON case_events (kind, case_id);

CREATE TABLE todo_dismissals (
    kind         TEXT     NOT NULL,
    case_id      INTEGER  NOT NULL REFERENCES cases (id),
    ref          INTEGER  NOT NULL DEFAULT 0,
    dismissed_at DATETIME NOT NULL,
    dismissed_by TEXT     NOT NULL,
    PRIMARY KEY (kind, case_id, ref)
);

-- +goose Down
DROP TABLE todo_dismissals;
DROP INDEX case_events_kind;
DROP INDEX cases_poor_reopened;
DROP INDEX case_departments_unacknowledged;
DROP INDEX staff_alerts_open;
ALTER TABLE staff_alerts DROP COLUMN done_by;
DROP TRIGGER wall_waiting_update;
DROP TRIGGER wall_waiting_insert;
DROP TABLE wall_waiting;
DROP TABLE wall_entries;
