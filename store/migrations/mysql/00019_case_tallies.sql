-- The figures, kept as cases change: one row per China-time day of
-- creation, station, group and category, moved by triggers on cases, so
-- the dashboard adds up a few thousand rows instead of a million cases and
-- no code path (intake, hand-over, rating, re-routing, import) can forget
-- to count. overdue is "open and past its deadline", which no write marks
-- by itself: the supervision sweep sets it as it colours cases.

-- +goose Up
ALTER TABLE cases ADD COLUMN overdue TINYINT NOT NULL DEFAULT 0;

CREATE TABLE case_tallies (
    day        DATE        NOT NULL, -- China time, of the case's creation
    station_id BIGINT      NOT NULL,
    group_id   BIGINT      NOT NULL, -- 0: none
    category   VARCHAR(64) NOT NULL,
    collected  INT         NOT NULL DEFAULT 0,
    closed     INT         NOT NULL DEFAULT 0,
    on_time    INT         NOT NULL DEFAULT 0,
    late       INT         NOT NULL DEFAULT 0,
    rated      INT         NOT NULL DEFAULT 0,
    satisfied  INT         NOT NULL DEFAULT 0,
    PRIMARY KEY (day, station_id, group_id, category)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

INSERT INTO case_tallies (day, station_id, group_id, category, collected, closed, on_time, late, rated, satisfied)
SELECT DATE(created_at + INTERVAL 8 HOUR), station_id, COALESCE(group_id, 0), category,
       COUNT(*),
       SUM(closed_at IS NOT NULL),
       SUM(closed_at IS NOT NULL AND (deadline IS NULL OR closed_at <= deadline)),
       SUM(closed_at IS NOT NULL AND deadline IS NOT NULL AND closed_at > deadline),
       SUM(rating <> ''),
       SUM(rating IN ('satisfied', 'basically_satisfied'))
FROM cases
GROUP BY 1, 2, 3, 4;

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

-- +goose Down
DROP TRIGGER case_tallies_delete;
DROP TRIGGER case_tallies_update;
DROP TRIGGER case_tallies_insert;
DROP TABLE case_tallies;
ALTER TABLE cases DROP COLUMN overdue;
