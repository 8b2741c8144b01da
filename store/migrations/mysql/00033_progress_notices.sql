-- A case's progress notice waiting to be sent is found by its case, so that
-- the steps of a few minutes join one notice to the citizen.

-- +goose Up
CREATE INDEX outbox_case_kind ON outbox (case_id, kind, status);

-- +goose Down
DROP INDEX outbox_case_kind ON outbox;
