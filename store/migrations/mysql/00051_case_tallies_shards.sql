-- The daily tallies of the figures (migrations 00019 and 00035) in shards.
-- Every new case added one to the row of its day, station, group and
-- category, and held that row locked until its transaction committed: cases
-- opened at once at one station in one category (a burst of citizens
-- writing about the same broken lamp, or the callback benchmark, where every
-- citizen writes to one station) waited for each other, one commit after
-- another. Each connection now adds to one of eight rows of that key (its
-- connection id modulo 8), so eight transactions count at once; the figures
-- add the rows up as they always did (SUM ... GROUP BY). A change to a case
-- takes its old figures off in the same way, as negative amounts on the
-- changing connection's row, so a row may hold a negative part of a sum.
-- At most eight rows per key: the dashboard's year reads no more than it
-- did per case before the tallies. SQLite has one writer and no such wait,
-- so its tallies keep one row per key.

-- +goose Up
ALTER TABLE case_tallies ADD COLUMN shard TINYINT NOT NULL DEFAULT 0,
    DROP PRIMARY KEY, ADD PRIMARY KEY (day, station_id, group_id, category, shard);

DROP TRIGGER case_tallies_insert;
DROP TRIGGER case_tallies_update;
DROP TRIGGER case_tallies_delete;

-- +goose StatementBegin
CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases FOR EACH ROW
BEGIN
        INSERT INTO case_tallies (day, station_id, group_id, category, shard, collected, closed, on_time, late, rated, satisfied, answered)
        VALUES (DATE(NEW.created_at + INTERVAL 8 HOUR), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, CONNECTION_ID() % 8, 1,
                NEW.closed_at IS NOT NULL,
                NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
                (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
                NEW.rating <> '',
                NEW.rating IN ('satisfied', 'basically_satisfied'),
                NEW.answered_at IS NOT NULL)
        ON DUPLICATE KEY UPDATE
            collected = collected + VALUES(collected), closed = closed + VALUES(closed), on_time = on_time + VALUES(on_time),
            late = late + VALUES(late), rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied),
            answered = answered + VALUES(answered);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_update AFTER UPDATE ON cases FOR EACH ROW
BEGIN
    -- Most updates (a new message's time, a colour) move no figure.
    IF NOT (OLD.created_at <=> NEW.created_at) OR NOT (OLD.station_id <=> NEW.station_id) OR NOT (OLD.group_id <=> NEW.group_id) OR NOT (OLD.category <=> NEW.category) OR NOT (OLD.closed_at <=> NEW.closed_at) OR NOT (OLD.deadline <=> NEW.deadline) OR NOT (OLD.rating <=> NEW.rating) OR NOT (OLD.overdue <=> NEW.overdue) OR NOT (OLD.answered_at <=> NEW.answered_at) THEN
        INSERT INTO case_tallies (day, station_id, group_id, category, shard, collected, closed, on_time, late, rated, satisfied, answered)
        VALUES (DATE(OLD.created_at + INTERVAL 8 HOUR), OLD.station_id, COALESCE(OLD.group_id, 0), OLD.category, CONNECTION_ID() % 8, -1,
                -(OLD.closed_at IS NOT NULL),
                -(OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
                -((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
                -(OLD.rating <> ''),
                -(OLD.rating IN ('satisfied', 'basically_satisfied')),
                -(OLD.answered_at IS NOT NULL))
        ON DUPLICATE KEY UPDATE
            collected = collected + VALUES(collected), closed = closed + VALUES(closed), on_time = on_time + VALUES(on_time),
            late = late + VALUES(late), rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied),
            answered = answered + VALUES(answered);
        INSERT INTO case_tallies (day, station_id, group_id, category, shard, collected, closed, on_time, late, rated, satisfied, answered)
        VALUES (DATE(NEW.created_at + INTERVAL 8 HOUR), NEW.station_id, COALESCE(NEW.group_id, 0), NEW.category, CONNECTION_ID() % 8, 1,
                NEW.closed_at IS NOT NULL,
                NEW.closed_at IS NOT NULL AND (NEW.deadline IS NULL OR NEW.closed_at <= NEW.deadline),
                (NEW.closed_at IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.closed_at > NEW.deadline) OR (NEW.closed_at IS NULL AND NEW.overdue = 1),
                NEW.rating <> '',
                NEW.rating IN ('satisfied', 'basically_satisfied'),
                NEW.answered_at IS NOT NULL)
        ON DUPLICATE KEY UPDATE
            collected = collected + VALUES(collected), closed = closed + VALUES(closed), on_time = on_time + VALUES(on_time),
            late = late + VALUES(late), rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied),
            answered = answered + VALUES(answered);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
        INSERT INTO case_tallies (day, station_id, group_id, category, shard, collected, closed, on_time, late, rated, satisfied, answered)
        VALUES (DATE(OLD.created_at + INTERVAL 8 HOUR), OLD.station_id, COALESCE(OLD.group_id, 0), OLD.category, CONNECTION_ID() % 8, -1,
                -(OLD.closed_at IS NOT NULL),
                -(OLD.closed_at IS NOT NULL AND (OLD.deadline IS NULL OR OLD.closed_at <= OLD.deadline)),
                -((OLD.closed_at IS NOT NULL AND OLD.deadline IS NOT NULL AND OLD.closed_at > OLD.deadline) OR (OLD.closed_at IS NULL AND OLD.overdue = 1)),
                -(OLD.rating <> ''),
                -(OLD.rating IN ('satisfied', 'basically_satisfied')),
                -(OLD.answered_at IS NOT NULL))
        ON DUPLICATE KEY UPDATE
            collected = collected + VALUES(collected), closed = closed + VALUES(closed), on_time = on_time + VALUES(on_time),
            late = late + VALUES(late), rated = rated + VALUES(rated), satisfied = satisfied + VALUES(satisfied),
            answered = answered + VALUES(answered);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER case_tallies_insert;
DROP TRIGGER case_tallies_update;
DROP TRIGGER case_tallies_delete;

CREATE TABLE case_tallies_merged AS
    SELECT day, station_id, group_id, category, SUM(collected) AS collected, SUM(closed) AS closed, SUM(on_time) AS on_time,
           SUM(late) AS late, SUM(rated) AS rated, SUM(satisfied) AS satisfied, SUM(answered) AS answered
    FROM case_tallies GROUP BY day, station_id, group_id, category;
DELETE FROM case_tallies;
ALTER TABLE case_tallies DROP PRIMARY KEY, DROP COLUMN shard, ADD PRIMARY KEY (day, station_id, group_id, category);
INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied, answered)
    SELECT day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied, answered FROM case_tallies_merged;
DROP TABLE case_tallies_merged;

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
