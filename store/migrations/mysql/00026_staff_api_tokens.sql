-- Each staff member's token for the staff JSON API (/api/…), made by
-- `mashang staff token <username>`: the API acts as that person. Only the
-- token's SHA-256 is kept; a new token replaces the old one. It replaces
-- the one shared MASHANG_STAFF_API_TOKEN, which could not say who acted.

-- +goose Up
ALTER TABLE staff_users
    ADD COLUMN api_token_hash CHAR(64) COLLATE utf8mb4_bin NULL,
    ADD UNIQUE KEY staff_users_api_token (api_token_hash);

-- +goose Down
ALTER TABLE staff_users DROP KEY staff_users_api_token, DROP COLUMN api_token_hash;
