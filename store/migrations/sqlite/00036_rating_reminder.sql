-- A citizen who has not rated a closed case is reminded once: the case
-- keeps the answer (its case_events id) they were reminded to rate, so a
-- case closed again after a 不满意 is asked about again, once.

-- +goose Up
ALTER TABLE cases ADD COLUMN rating_reminded INTEGER NULL;

-- +goose Down
ALTER TABLE cases DROP COLUMN rating_reminded;
