-- A case's progress notice waiting to be sent is found by its case, so that
-- the steps of a few minutes join one notice to the citizen. A citizen of
-- the Mini Program who accepted the progress subscribe message when raising
-- a case is told through it, once per accept.

-- +goose Up
CREATE INDEX outbox_case_kind ON outbox (case_id, kind, status);
ALTER TABLE cases ADD COLUMN progress_subscribe VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN progress_grants INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE cases DROP COLUMN progress_grants;
ALTER TABLE cases DROP COLUMN progress_subscribe;
DROP INDEX outbox_case_kind ON outbox;
