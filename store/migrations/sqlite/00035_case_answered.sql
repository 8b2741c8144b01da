-- The reply rate (答复率) and the departments' figures: when a case was
-- first answered (the answer staff sent the citizen, the timeline's first
-- "reply"), kept on the case by a trigger on the timeline so no path that
-- answers can forget it, and counted into the daily tallies of migration
-- 00019 like the other figures, so the dashboard still adds up tallies.
-- The departments' figures are kept the same way, by the China-time day of
-- the hand-over, department and station: handed over, on time, late,
-- rated, satisfied, and re-handled — reopened after the hand-over, which
-- the timeline's "reopened" marks on the case (rehandled) by a trigger.

-- +goose Up
ALTER TABLE cases ADD COLUMN answered_at DATETIME NULL;
UPDATE cases SET answered_at = (SELECT MIN(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.kind = 'reply');
ALTER TABLE cases ADD COLUMN rehandled INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET rehandled = 1 WHERE handed_at IS NOT NULL
    AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = cases.id AND e.kind = 'reopened' AND e.at >= cases.handed_at);

CREATE TABLE department_tallies (
    day           TEXT    NOT NULL, -- YYYY-MM-DD, China time, of the hand-over
    department_id INTEGER NOT NULL,
    station_id    INTEGER NOT NULL,
    handed        INTEGER NOT NULL DEFAULT 0,
    on_time       INTEGER NOT NULL DEFAULT 0,
    late          INTEGER NOT NULL DEFAULT 0,
    rated         INTEGER NOT NULL DEFAULT 0,
    satisfied     INTEGER NOT NULL DEFAULT 0,
    rehandled     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, department_id, station_id)
);

INSERT INTO department_tallies (day, department_id, station_id, handed, on_time, late, rated, satisfied, rehandled)
SELECT date(handed_at, '+8 hours'), department_id, station_id,
       COUNT(*),
       SUM(closed_at IS NOT NULL AND (deadline IS NULL OR closed_at <= deadline)),
       SUM((closed_at IS NOT NULL AND deadline IS NOT NULL AND closed_at > deadline) OR (closed_at IS NULL AND overdue = 1)),
       SUM(rating <> ''),
       SUM(rating IN ('satisfied', 'basically_satisfied')),
       SUM(rehandled)
FROM cases WHERE department_id IS NOT NULL AND handed_at IS NOT NULL
GROUP BY 1, 2, 3;

-- +goose StatementBegin
CREATE TRIGGER case_rehandled AFTER INSERT ON case_events
WHEN NEW.kind = 'reopened'
BEGIN
    UPDATE cases SET rehandled = 1 WHERE id = NEW.case_id AND rehandled = 0 AND handed_at IS NOT NULL AND handed_at <= NEW.at;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER department_tallies_insert AFTER INSERT ON cases
WHEN NEW.department_id IS NOT NULL AND NEW.handed_at IS NOT NULL
BEGIN
    INSERT INTO department_tallies (day, department_id, station_id, handed, on_time, late, rated, satisfied, rehandled)
    VALUES (date(NEW.handed_at, '+8 hours'), NEW.department_id, NEW.station_id, 1,
            NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
            (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
            NEW.rating <> '',
            NEW.rating IN ('satisfied', 'basically_satisfied'),
            NEW.rehandled)
    ON CONFLICT (day, department_id, station_id) DO UPDATE SET
        handed = handed + 1, on_time = on_time + excluded.on_time, late = late + excluded.late,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, rehandled = rehandled + excluded.rehandled;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER department_tallies_update
AFTER UPDATE OF handed_at, department_id, station_id, closed_at, deadline, rating, overdue, rehandled ON cases
BEGIN
    UPDATE department_tallies SET
        handed = handed - 1,
        on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
        late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
        rated = rated - (OLD.rating <> ''),
        satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied')),
        rehandled = rehandled - OLD.rehandled
    WHERE OLD.department_id IS NOT NULL AND OLD.handed_at IS NOT NULL
      AND day = date(OLD.handed_at, '+8 hours') AND department_id = OLD.department_id AND station_id = OLD.station_id;
    INSERT INTO department_tallies (day, department_id, station_id, handed, on_time, late, rated, satisfied, rehandled)
    SELECT date(NEW.handed_at, '+8 hours'), NEW.department_id, NEW.station_id, 1,
           NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
           (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
           NEW.rating <> '',
           NEW.rating IN ('satisfied', 'basically_satisfied'),
           NEW.rehandled
    WHERE NEW.department_id IS NOT NULL AND NEW.handed_at IS NOT NULL
    ON CONFLICT (day, department_id, station_id) DO UPDATE SET
        handed = handed + 1, on_time = on_time + excluded.on_time, late = late + excluded.late,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, rehandled = rehandled + excluded.rehandled;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER department_tallies_delete AFTER DELETE ON cases
WHEN OLD.department_id IS NOT NULL AND OLD.handed_at IS NOT NULL
BEGIN
    UPDATE department_tallies SET
        handed = handed - 1,
        on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
        late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
        rated = rated - (OLD.rating <> ''),
        satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied')),
        rehandled = rehandled - OLD.rehandled
    WHERE day = date(OLD.handed_at, '+8 hours') AND department_id = OLD.department_id AND station_id = OLD.station_id;
END;
-- +goose StatementEnd

ALTER TABLE case_tallies ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
UPDATE case_tallies SET answered = a.n
FROM (SELECT date(created_at, '+8 hours') AS day, station_id, COALESCE(group_id, 0) AS group_id, category, COUNT(*) AS n
      FROM cases WHERE answered_at IS NOT NULL GROUP BY 1, 2, 3, 4) a
WHERE a.day = case_tallies.day AND a.station_id = case_tallies.station_id
  AND a.group_id = case_tallies.group_id AND a.category = case_tallies.category;

-- +goose StatementBegin
CREATE TRIGGER case_answered AFTER INSERT ON case_events
WHEN NEW.kind = 'reply'
BEGIN
    UPDATE cases SET answered_at = NEW.at WHERE id = NEW.case_id AND answered_at IS NULL;
END;
-- +goose StatementEnd

DROP TRIGGER case_tallies_insert;
DROP TRIGGER case_tallies_update;
DROP TRIGGER case_tallies_delete;

-- +goose StatementBegin
CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases
BEGIN
    INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied, answered)
    VALUES (date(NEW.created_at, '+8 hours'), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, 1,
            NEW.closed_at IS NOT NULL,
            NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
            (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
            NEW.rating <> '',
            NEW.rating IN ('satisfied', 'basically_satisfied'),
            NEW.answered_at IS NOT NULL)
    ON CONFLICT (day, station_id, group_id, category) DO UPDATE SET
        collected = collected + excluded.collected, closed = closed + excluded.closed,
        on_time = on_time + excluded.on_time, late = late + excluded.late,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied,
        answered = answered + excluded.answered;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_update
AFTER UPDATE OF created_at, station_id, group_id, category, closed_at, deadline, rating, overdue, answered_at ON cases
BEGIN
    UPDATE case_tallies SET
        collected = collected - 1,
        closed = closed - (OLD.closed_at IS NOT NULL),
        on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
        late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
        rated = rated - (OLD.rating <> ''),
        satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied')),
        answered = answered - (OLD.answered_at IS NOT NULL)
    WHERE day = date(OLD.created_at, '+8 hours') AND station_id = OLD.station_id
      AND group_id = COALESCE(OLD.group_id, 0) AND category = OLD.category;
    INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied, answered)
    VALUES (date(NEW.created_at, '+8 hours'), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, 1,
            NEW.closed_at IS NOT NULL,
            NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
            (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
            NEW.rating <> '',
            NEW.rating IN ('satisfied', 'basically_satisfied'),
            NEW.answered_at IS NOT NULL)
    ON CONFLICT (day, station_id, group_id, category) DO UPDATE SET
        collected = collected + excluded.collected, closed = closed + excluded.closed,
        on_time = on_time + excluded.on_time, late = late + excluded.late,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied,
        answered = answered + excluded.answered;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases
BEGIN
    UPDATE case_tallies SET
        collected = collected - 1,
        closed = closed - (OLD.closed_at IS NOT NULL),
        on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
        late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
        rated = rated - (OLD.rating <> ''),
        satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied')),
        answered = answered - (OLD.answered_at IS NOT NULL)
    WHERE day = date(OLD.created_at, '+8 hours') AND station_id = OLD.station_id
      AND group_id = COALESCE(OLD.group_id, 0) AND category = OLD.category;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER department_tallies_delete;
DROP TRIGGER department_tallies_update;
DROP TRIGGER department_tallies_insert;
DROP TRIGGER case_rehandled;
DROP TABLE department_tallies;
DROP TRIGGER case_answered;
DROP TRIGGER case_tallies_insert;
DROP TRIGGER case_tallies_update;
DROP TRIGGER case_tallies_delete;
-- +goose StatementBegin
CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases
BEGIN
    INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied)
    VALUES (date(NEW.created_at, '+8 hours'), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, 1,
            NEW.closed_at IS NOT NULL,
            NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
            (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
            NEW.rating <> '',
            NEW.rating IN ('satisfied', 'basically_satisfied'))
    ON CONFLICT (day, station_id, group_id, category) DO UPDATE SET
        collected = collected + excluded.collected, closed = closed + excluded.closed,
        on_time = on_time + excluded.on_time, late = late + excluded.late,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_update
AFTER UPDATE OF created_at, station_id, group_id, category, closed_at, deadline, rating, overdue ON cases
BEGIN
    UPDATE case_tallies SET
        collected = collected - 1,
        closed = closed - (OLD.closed_at IS NOT NULL),
        on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
        late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
        rated = rated - (OLD.rating <> ''),
        satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied'))
    WHERE day = date(OLD.created_at, '+8 hours') AND station_id = OLD.station_id
      AND group_id = COALESCE(OLD.group_id, 0) AND category = OLD.category;
    INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied)
    VALUES (date(NEW.created_at, '+8 hours'), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, 1,
            NEW.closed_at IS NOT NULL,
            NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
            (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
            NEW.rating <> '',
            NEW.rating IN ('satisfied', 'basically_satisfied'))
    ON CONFLICT (day, station_id, group_id, category) DO UPDATE SET
        collected = collected + excluded.collected, closed = closed + excluded.closed,
        on_time = on_time + excluded.on_time, late = late + excluded.late,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases
BEGIN
    UPDATE case_tallies SET
        collected = collected - 1,
        closed = closed - (OLD.closed_at IS NOT NULL),
        on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
        late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
        rated = rated - (OLD.rating <> ''),
        satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied'))
    WHERE day = date(OLD.created_at, '+8 hours') AND station_id = OLD.station_id
      AND group_id = COALESCE(OLD.group_id, 0) AND category = OLD.category;
END;
-- +goose StatementEnd

ALTER TABLE case_tallies DROP COLUMN answered;
ALTER TABLE cases DROP COLUMN rehandled;
ALTER TABLE cases DROP COLUMN answered_at;
