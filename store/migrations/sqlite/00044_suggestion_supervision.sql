-- Supervising deputies' suggestions (督) and counting them (评): the three
-- colours on the same calendar as cases, key suggestions (重点督办) with the
-- official who leads them and the plan, and suggestions in the deputies'
-- duty record with points from rules kept as data.

-- +goose Up
-- The colour the sweep last set (as cases.colour): the five-working-day
-- hand-over between sessions, then the bodies' answer deadline.
ALTER TABLE suggestions ADD COLUMN colour TEXT NOT NULL DEFAULT 'green';
-- 重点督办: marked by staff with the leading official (领导督办) and the
-- plan; key_marked_at NULL: not a key suggestion.
ALTER TABLE suggestions ADD COLUMN key_official TEXT NOT NULL DEFAULT '';
ALTER TABLE suggestions ADD COLUMN key_plan TEXT NOT NULL DEFAULT '';
ALTER TABLE suggestions ADD COLUMN key_marked_at DATETIME NULL;
ALTER TABLE suggestions ADD COLUMN key_marked_by TEXT NOT NULL DEFAULT '';
CREATE INDEX suggestions_colour ON suggestions (colour, closed_at);

-- A suggestion in the duty record: one record per deputy, action and
-- suggestion, as for cases and activities.
ALTER TABLE duty_records ADD COLUMN suggestion_id INTEGER NOT NULL DEFAULT 0;
DROP INDEX duty_records_once;
CREATE UNIQUE INDEX duty_records_once ON duty_records (deputy_id, action, case_id, activity_id, suggestion_id);
INSERT INTO point_rules (action, points, reason) VALUES ('suggest', 5, '领衔提出的建议经审核立案');
INSERT INTO point_rules (action, points, reason) VALUES ('cosign', 2, '联名提出的建议经审核立案');

-- +goose Down
DELETE FROM point_rules WHERE action IN ('suggest', 'cosign');
DROP INDEX duty_records_once;
CREATE UNIQUE INDEX duty_records_once ON duty_records (deputy_id, action, case_id, activity_id);
ALTER TABLE duty_records DROP COLUMN suggestion_id;
DROP INDEX suggestions_colour;
ALTER TABLE suggestions DROP COLUMN key_marked_by;
ALTER TABLE suggestions DROP COLUMN key_marked_at;
ALTER TABLE suggestions DROP COLUMN key_plan;
ALTER TABLE suggestions DROP COLUMN key_official;
ALTER TABLE suggestions DROP COLUMN colour;
