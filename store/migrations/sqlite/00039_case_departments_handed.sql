-- The figures by department count acknowledgements (签收及时率) from the
-- hand-overs of a period, lead and co-handling: read by when each was
-- handed over, not the whole table.

-- +goose Up
CREATE INDEX case_departments_handed ON case_departments (handed_at);

-- +goose Down
DROP INDEX case_departments_handed;
