-- Each staff member's token for the staff JSON API (/api/…), made by
-- `mashang staff token <username>`: the API acts as that person. Only the
-- token's SHA-256 is kept; a new token replaces the old one. It replaces
-- the one shared MASHANG_STAFF_API_TOKEN, which could not say who acted.

-- +goose Up
ALTER TABLE staff_users ADD COLUMN api_token_hash TEXT NULL;
CREATE UNIQUE INDEX staff_users_api_token ON staff_users (api_token_hash);

-- +goose Down
DROP INDEX staff_users_api_token;
ALTER TABLE staff_users DROP COLUMN api_token_hash;
