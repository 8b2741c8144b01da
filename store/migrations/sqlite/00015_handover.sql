-- Hand-over to a department with a deadline in working days (交办), the
-- case's closing (办结), and its supervision colour (三色督办) as last set.

-- +goose Up
ALTER TABLE cases ADD COLUMN department_id INTEGER NULL REFERENCES departments (id);
ALTER TABLE cases ADD COLUMN handed_at DATETIME NULL;
ALTER TABLE cases ADD COLUMN deadline_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN deadline DATETIME NULL;
ALTER TABLE cases ADD COLUMN closed_at DATETIME NULL;
ALTER TABLE cases ADD COLUMN colour TEXT NOT NULL DEFAULT 'green';
CREATE INDEX cases_open_deadline ON cases (closed_at, deadline);

-- +goose Down
DROP INDEX cases_open_deadline;
ALTER TABLE cases DROP COLUMN colour;
ALTER TABLE cases DROP COLUMN closed_at;
ALTER TABLE cases DROP COLUMN deadline;
ALTER TABLE cases DROP COLUMN deadline_days;
ALTER TABLE cases DROP COLUMN handed_at;
ALTER TABLE cases DROP COLUMN department_id;
