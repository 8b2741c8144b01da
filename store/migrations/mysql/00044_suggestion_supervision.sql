-- Supervising deputies' suggestions (督) and counting them (评): the three
-- colours on the same calendar as cases, key suggestions (重点督办) with the
-- official who leads them and the plan, and suggestions in the deputies'
-- duty record with points from rules kept as data.

-- +goose Up
-- The colour the sweep last set (as cases.colour): the five-working-day
-- hand-over between sessions, then the bodies' answer deadline.
-- 重点督办: marked by staff with the leading official (领导督办) and the
-- plan; key_marked_at NULL: not a key suggestion.
ALTER TABLE suggestions
    ADD COLUMN colour        VARCHAR(8)    NOT NULL DEFAULT 'green',
    ADD COLUMN key_official  VARCHAR(64)   NOT NULL DEFAULT '',
    ADD COLUMN key_plan      VARCHAR(2000) NOT NULL DEFAULT '',
    ADD COLUMN key_marked_at DATETIME(3)   NULL,
    ADD COLUMN key_marked_by VARCHAR(64)   NOT NULL DEFAULT '',
    ADD KEY suggestions_colour (colour, closed_at);

-- A suggestion in the duty record: one record per deputy, action and
-- suggestion, as for cases and activities.
ALTER TABLE duty_records
    ADD COLUMN suggestion_id BIGINT NOT NULL DEFAULT 0,
    DROP INDEX duty_records_once,
    ADD UNIQUE KEY duty_records_once (deputy_id, action, case_id, activity_id, suggestion_id);
INSERT INTO point_rules (action, points, reason) VALUES ('suggest', 5, '领衔提出的建议经审核立案');
INSERT INTO point_rules (action, points, reason) VALUES ('cosign', 2, '联名提出的建议经审核立案');

-- +goose Down
DELETE FROM point_rules WHERE action IN ('suggest', 'cosign');
ALTER TABLE duty_records
    DROP INDEX duty_records_once,
    ADD UNIQUE KEY duty_records_once (deputy_id, action, case_id, activity_id),
    DROP COLUMN suggestion_id;
ALTER TABLE suggestions
    DROP KEY suggestions_colour,
    DROP COLUMN key_marked_by,
    DROP COLUMN key_marked_at,
    DROP COLUMN key_plan,
    DROP COLUMN key_official,
    DROP COLUMN colour;
