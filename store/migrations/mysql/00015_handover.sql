-- Hand-over to a department with a deadline in working days (交办), the
-- case's closing (办结), and its supervision colour (三色督办) as last set.

-- +goose Up
ALTER TABLE cases
    ADD COLUMN department_id BIGINT      NULL,
    ADD COLUMN handed_at     DATETIME(3) NULL,
    ADD COLUMN deadline_days INT         NOT NULL DEFAULT 0,
    ADD COLUMN deadline      DATETIME(3) NULL,
    ADD COLUMN closed_at     DATETIME(3) NULL,
    ADD COLUMN colour        VARCHAR(8)  NOT NULL DEFAULT 'green',
    ADD KEY cases_open_deadline (closed_at, deadline),
    ADD CONSTRAINT cases_department FOREIGN KEY (department_id) REFERENCES departments (id);

-- +goose Down
ALTER TABLE cases
    DROP FOREIGN KEY cases_department,
    DROP KEY cases_open_deadline,
    DROP COLUMN colour,
    DROP COLUMN closed_at,
    DROP COLUMN deadline,
    DROP COLUMN deadline_days,
    DROP COLUMN handed_at,
    DROP COLUMN department_id;
