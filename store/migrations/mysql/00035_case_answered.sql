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
UPDATE cases c SET answered_at = (SELECT MIN(e.at) FROM case_events e WHERE e.case_id = c.id AND e.kind = 'reply');
ALTER TABLE cases ADD COLUMN rehandled TINYINT NOT NULL DEFAULT 0;
UPDATE cases c SET rehandled = 1 WHERE c.handed_at IS NOT NULL
    AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'reopened' AND e.at >= c.handed_at);

CREATE TABLE department_tallies (
    day           DATE   NOT NULL, -- China time, of the hand-over
    department_id BIGINT NOT NULL,
    station_id    BIGINT NOT NULL,
    handed        INT    NOT NULL DEFAULT 0,
    on_time       INT    NOT NULL DEFAULT 0,
    late          INT    NOT NULL DEFAULT 0,
    rated         INT    NOT NULL DEFAULT 0,
    satisfied     INT    NOT NULL DEFAULT 0,
    rehandled     INT    NOT NULL DEFAULT 0,
    PRIMARY KEY (day, department_id, station_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

INSERT INTO department_tallies (day, department_id, station_id, handed, on_time, late, rated, satisfied, rehandled)
SELECT DATE(handed_at + INTERVAL 8 HOUR), department_id, station_id,
       COUNT(*),
       SUM(closed_at IS NOT NULL AND (deadline IS NULL OR closed_at <= deadline)),
       SUM((closed_at IS NOT NULL AND deadline IS NOT NULL AND closed_at > deadline) OR (closed_at IS NULL AND overdue = 1)),
       SUM(rating <> ''),
       SUM(rating IN ('satisfied', 'basically_satisfied')),
       SUM(rehandled)
FROM cases WHERE department_id IS NOT NULL AND handed_at IS NOT NULL
GROUP BY 1, 2, 3;

-- +goose StatementBegin
CREATE TRIGGER case_rehandled AFTER INSERT ON case_events FOR EACH ROW
BEGIN
    IF NEW.kind = 'reopened' THEN
        UPDATE cases SET rehandled = 1 WHERE id = NEW.case_id AND rehandled = 0 AND handed_at IS NOT NULL AND handed_at <= NEW.at;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER department_tallies_insert AFTER INSERT ON cases FOR EACH ROW
BEGIN
        IF NEW.department_id IS NOT NULL AND NEW.handed_at IS NOT NULL THEN
            INSERT INTO department_tallies (day, department_id, station_id, handed, on_time, late, rated, satisfied, rehandled)
            VALUES (DATE(NEW.handed_at + INTERVAL 8 HOUR), NEW.department_id, NEW.station_id, 1,
                    NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
                    (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
                    NEW.rating <> '',
                    NEW.rating IN ('satisfied', 'basically_satisfied'),
                    NEW.rehandled)
            ON DUPLICATE KEY UPDATE
                handed = handed + 1, on_time = on_time + VALUES(on_time), late = late + VALUES(late),
                rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied), rehandled = rehandled + VALUES(rehandled);
        END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER department_tallies_update AFTER UPDATE ON cases FOR EACH ROW
BEGIN
    -- Most updates (a new message's time, a colour) move no figure.
    IF NOT (OLD.handed_at <=> NEW.handed_at) OR NOT (OLD.department_id <=> NEW.department_id) OR NOT (OLD.station_id <=> NEW.station_id) OR NOT (OLD.closed_at <=> NEW.closed_at) OR NOT (OLD.deadline <=> NEW.deadline) OR NOT (OLD.rating <=> NEW.rating) OR NOT (OLD.overdue <=> NEW.overdue) OR NOT (OLD.rehandled <=> NEW.rehandled) THEN
        IF OLD.department_id IS NOT NULL AND OLD.handed_at IS NOT NULL THEN
            UPDATE department_tallies SET
                handed = handed - 1,
                on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
                late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
                rated = rated - (OLD.rating <> ''),
                satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied')),
                rehandled = rehandled - OLD.rehandled
            WHERE day = DATE(OLD.handed_at + INTERVAL 8 HOUR) AND department_id = OLD.department_id AND station_id = OLD.station_id;
        END IF;
        IF NEW.department_id IS NOT NULL AND NEW.handed_at IS NOT NULL THEN
            INSERT INTO department_tallies (day, department_id, station_id, handed, on_time, late, rated, satisfied, rehandled)
            VALUES (DATE(NEW.handed_at + INTERVAL 8 HOUR), NEW.department_id, NEW.station_id, 1,
                    NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
                    (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
                    NEW.rating <> '',
                    NEW.rating IN ('satisfied', 'basically_satisfied'),
                    NEW.rehandled)
            ON DUPLICATE KEY UPDATE
                handed = handed + 1, on_time = on_time + VALUES(on_time), late = late + VALUES(late),
                rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied), rehandled = rehandled + VALUES(rehandled);
        END IF;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER department_tallies_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
        IF OLD.department_id IS NOT NULL AND OLD.handed_at IS NOT NULL THEN
            UPDATE department_tallies SET
                handed = handed - 1,
                on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
                late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
                rated = rated - (OLD.rating <> ''),
                satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied')),
                rehandled = rehandled - OLD.rehandled
            WHERE day = DATE(OLD.handed_at + INTERVAL 8 HOUR) AND department_id = OLD.department_id AND station_id = OLD.station_id;
        END IF;
END;
-- +goose StatementEnd

ALTER TABLE case_tallies ADD COLUMN answered INT NOT NULL DEFAULT 0;
UPDATE case_tallies t
JOIN (SELECT DATE(created_at + INTERVAL 8 HOUR) AS day, station_id, COALESCE(group_id, 0) AS group_id, category, COUNT(*) AS n
      FROM cases WHERE answered_at IS NOT NULL GROUP BY 1, 2, 3, 4) a
  ON a.day = t.day AND a.station_id = t.station_id AND a.group_id = t.group_id AND a.category = t.category
SET t.answered = a.n;

-- +goose StatementBegin
CREATE TRIGGER case_answered AFTER INSERT ON case_events FOR EACH ROW
BEGIN
    IF NEW.kind = 'reply' THEN
        UPDATE cases SET answered_at = NEW.at WHERE id = NEW.case_id AND answered_at IS NULL;
    END IF;
END;
-- +goose StatementEnd

DROP TRIGGER case_tallies_insert;
DROP TRIGGER case_tallies_update;
DROP TRIGGER case_tallies_delete;

-- +goose StatementBegin
CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases FOR EACH ROW
BEGIN
        INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied, answered)
        VALUES (DATE(NEW.created_at + INTERVAL 8 HOUR), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, 1,
                NEW.closed_at IS NOT NULL,
                NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
                (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
                NEW.rating <> '',
                NEW.rating IN ('satisfied', 'basically_satisfied'),
                NEW.answered_at IS NOT NULL)
        ON DUPLICATE KEY UPDATE
            collected = collected + 1, closed = closed + VALUES(closed), on_time = on_time + VALUES(on_time),
            late = late + VALUES(late), rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied),
            answered = answered + VALUES(answered);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_update AFTER UPDATE ON cases FOR EACH ROW
BEGIN
    -- Most updates (a new message's time, a colour) move no figure.
    IF NOT (OLD.created_at <=> NEW.created_at) OR NOT (OLD.station_id <=> NEW.station_id) OR NOT (OLD.group_id <=> NEW.group_id) OR NOT (OLD.category <=> NEW.category) OR NOT (OLD.closed_at <=> NEW.closed_at) OR NOT (OLD.deadline <=> NEW.deadline) OR NOT (OLD.rating <=> NEW.rating) OR NOT (OLD.overdue <=> NEW.overdue) OR NOT (OLD.answered_at <=> NEW.answered_at) THEN
        UPDATE case_tallies SET
            collected = collected - 1,
            closed = closed - (OLD.closed_at IS NOT NULL),
            on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
            late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
            rated = rated - (OLD.rating <> ''),
            satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied')),
            answered = answered - (OLD.answered_at IS NOT NULL)
        WHERE day = DATE(OLD.created_at + INTERVAL 8 HOUR) AND station_id = OLD.station_id
          AND group_id = COALESCE(OLD.group_id, 0) AND category = OLD.category;
        INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied, answered)
        VALUES (DATE(NEW.created_at + INTERVAL 8 HOUR), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, 1,
                NEW.closed_at IS NOT NULL,
                NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
                (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
                NEW.rating <> '',
                NEW.rating IN ('satisfied', 'basically_satisfied'),
                NEW.answered_at IS NOT NULL)
        ON DUPLICATE KEY UPDATE
            collected = collected + 1, closed = closed + VALUES(closed), on_time = on_time + VALUES(on_time),
            late = late + VALUES(late), rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied),
            answered = answered + VALUES(answered);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
        UPDATE case_tallies SET
            collected = collected - 1,
            closed = closed - (OLD.closed_at IS NOT NULL),
            on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
            late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
            rated = rated - (OLD.rating <> ''),
            satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied')),
            answered = answered - (OLD.answered_at IS NOT NULL)
        WHERE day = DATE(OLD.created_at + INTERVAL 8 HOUR) AND station_id = OLD.station_id
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
CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases FOR EACH ROW
BEGIN
        INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied)
        VALUES (DATE(NEW.created_at + INTERVAL 8 HOUR), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, 1,
                NEW.closed_at IS NOT NULL,
                NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
                (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
                NEW.rating <> '',
                NEW.rating IN ('satisfied', 'basically_satisfied'))
        ON DUPLICATE KEY UPDATE
            collected = collected + 1, closed = closed + VALUES(closed), on_time = on_time + VALUES(on_time),
            late = late + VALUES(late), rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_update AFTER UPDATE ON cases FOR EACH ROW
BEGIN
    -- Most updates (a new message's time, a colour) move no figure.
    IF NOT (OLD.created_at <=> NEW.created_at) OR NOT (OLD.station_id <=> NEW.station_id) OR NOT (OLD.group_id <=> NEW.group_id) OR NOT (OLD.category <=> NEW.category) OR NOT (OLD.closed_at <=> NEW.closed_at) OR NOT (OLD.deadline <=> NEW.deadline) OR NOT (OLD.rating <=> NEW.rating) OR NOT (OLD.overdue <=> NEW.overdue) THEN
        UPDATE case_tallies SET
            collected = collected - 1,
            closed = closed - (OLD.closed_at IS NOT NULL),
            on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
            late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
            rated = rated - (OLD.rating <> ''),
            satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied'))
        WHERE day = DATE(OLD.created_at + INTERVAL 8 HOUR) AND station_id = OLD.station_id
          AND group_id = COALESCE(OLD.group_id, 0) AND category = OLD.category;
        INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied)
        VALUES (DATE(NEW.created_at + INTERVAL 8 HOUR), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, 1,
                NEW.closed_at IS NOT NULL,
                NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
                (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
                NEW.rating <> '',
                NEW.rating IN ('satisfied', 'basically_satisfied'))
        ON DUPLICATE KEY UPDATE
            collected = collected + 1, closed = closed + VALUES(closed), on_time = on_time + VALUES(on_time),
            late = late + VALUES(late), rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
        UPDATE case_tallies SET
            collected = collected - 1,
            closed = closed - (OLD.closed_at IS NOT NULL),
            on_time = on_time - (OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
            late = late - ((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
            rated = rated - (OLD.rating <> ''),
            satisfied = satisfied - (OLD.rating IN ('satisfied', 'basically_satisfied'))
        WHERE day = DATE(OLD.created_at + INTERVAL 8 HOUR) AND station_id = OLD.station_id
          AND group_id = COALESCE(OLD.group_id, 0) AND category = OLD.category;
END;
-- +goose StatementEnd

ALTER TABLE case_tallies DROP COLUMN answered;
ALTER TABLE cases DROP COLUMN rehandled;
ALTER TABLE cases DROP COLUMN answered_at;
