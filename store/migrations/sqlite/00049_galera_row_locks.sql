-- The column MySQL's migration adds for Galera clusters (see there): kept
-- alike so that the schemas agree; SQLite never writes it.

-- +goose Up
ALTER TABLE followers ADD COLUMN lock_serial INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mp_users ADD COLUMN lock_serial INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE mp_users DROP COLUMN lock_serial;
ALTER TABLE followers DROP COLUMN lock_serial;
