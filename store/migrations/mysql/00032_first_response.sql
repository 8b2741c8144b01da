-- Every case's first-response deadline (首次响应期限), set once when it is
-- raised, and when a deputy or staff member first took it (accepted it,
-- handed it over, answered or closed it): the supervision sweep turns a
-- case nobody took in time yellow, then red. Also the audit log's filters
-- for administrators (by person, by case), newest first.

-- +goose Up
ALTER TABLE cases
    ADD COLUMN first_response_due DATETIME(3) NULL,
    ADD COLUMN taken_at           DATETIME(3) NULL,
    ADD KEY cases_untaken (closed_at, taken_at, first_response_due);
ALTER TABLE audit_log
    ADD KEY audit_log_username (username, id),
    ADD KEY audit_log_target (target, id);

-- +goose Down
ALTER TABLE audit_log
    DROP KEY audit_log_target,
    DROP KEY audit_log_username;
ALTER TABLE cases
    DROP KEY cases_untaken,
    DROP COLUMN taken_at,
    DROP COLUMN first_response_due;
