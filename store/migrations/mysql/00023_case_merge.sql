-- Duplicates merged into a main case (合并重复问题): the duplicate is closed
-- as merged and points at the case that answers for it.

-- +goose Up
ALTER TABLE cases
    ADD COLUMN merged_into BIGINT NULL,
    ADD KEY cases_merged_into (merged_into),
    ADD CONSTRAINT cases_merged_into FOREIGN KEY (merged_into) REFERENCES cases (id);

-- +goose Down
ALTER TABLE cases DROP FOREIGN KEY cases_merged_into, DROP KEY cases_merged_into, DROP COLUMN merged_into;
