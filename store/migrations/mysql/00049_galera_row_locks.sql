-- On a Galera cluster a locking read (SELECT … FOR UPDATE) holds on one
-- node only; what Galera compares between nodes is the rows a transaction
-- writes. So the rows that serialise one citizen's messages are written
-- when locked on a cluster: lock_serial is bumped, and of two transactions
-- for one citizen on two nodes only the first commits (the other fails
-- certification, 1213, and runs again after it). Nothing reads the value.

-- +goose Up
ALTER TABLE followers ADD COLUMN lock_serial BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mp_users ADD COLUMN lock_serial BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE mp_users DROP COLUMN lock_serial;
ALTER TABLE followers DROP COLUMN lock_serial;
