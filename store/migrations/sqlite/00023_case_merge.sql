-- Duplicates merged into a main case (合并重复问题): the duplicate is closed
-- as merged and points at the case that answers for it.

-- +goose Up
ALTER TABLE cases ADD COLUMN merged_into INTEGER NULL REFERENCES cases (id);
CREATE INDEX cases_merged_into ON cases (merged_into);

-- +goose Down
DROP INDEX cases_merged_into;
ALTER TABLE cases DROP COLUMN merged_into;
