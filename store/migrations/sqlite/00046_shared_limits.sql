-- The limits every instance shares (each citizen's request rate, each
-- account's exports), kept here when no Redis is configured. One row per
-- key; times are Unix milliseconds. at is a rate's theoretical arrival time
-- (GCRA), a count's window start or a hold's end, n a window's count, and
-- expires when the row no longer limits anything (then it is swept).

-- +goose Up
CREATE TABLE shared_limits (
    name    VARCHAR(191) NOT NULL PRIMARY KEY,
    at      BIGINT       NOT NULL DEFAULT 0,
    n       INTEGER      NOT NULL DEFAULT 0,
    expires BIGINT       NOT NULL DEFAULT 0
);
CREATE INDEX shared_limits_expires ON shared_limits (expires);

-- +goose Down
DROP TABLE shared_limits;
