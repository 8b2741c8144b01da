-- Every case's first-response deadline (首次响应期限), set once when it is
-- raised, and when a deputy or staff member first took it (accepted it,
-- handed it over, answered or closed it): the supervision sweep turns a
-- case nobody took in time yellow, then red. Also the audit log's filters
-- for administrators (by person, by case), newest first.

-- +goose Up
ALTER TABLE cases ADD COLUMN first_response_due DATETIME NULL;
ALTER TABLE cases ADD COLUMN taken_at DATETIME NULL;
CREATE INDEX cases_untaken ON cases (closed_at, taken_at, first_response_due);
CREATE INDEX audit_log_username ON audit_log (username, id);
CREATE INDEX audit_log_target ON audit_log (target, id);

-- +goose Down
DROP INDEX audit_log_target;
DROP INDEX audit_log_username;
DROP INDEX cases_untaken;
ALTER TABLE cases DROP COLUMN taken_at;
ALTER TABLE cases DROP COLUMN first_response_due;
