-- The reply rate (答复率) and the departments' figures: when a case was
-- first answered (the answer staff sent the citizen, the timeline's first
-- "reply"), kept on the case by a trigger on the timeline so no path that
-- answers can forget it, and counted into the daily tallies of migration
-- 00019 like the other figures, so the dashboard still adds up tallies.
-- handed_at is indexed for the departments' figures, counted from the
-- cases handed over in a period (a fraction of a city's cases).

-- +goose Up
ALTER TABLE cases ADD COLUMN answered_at DATETIME NULL;
UPDATE cases c SET answered_at = (SELECT MIN(e.at) FROM case_events e WHERE e.case_id = c.id AND e.kind = 'reply');
CREATE INDEX cases_handed ON cases (handed_at);

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

DROP INDEX cases_handed ON cases;
ALTER TABLE case_tallies DROP COLUMN answered;
ALTER TABLE cases DROP COLUMN answered_at;
