-- A citizen's phone number, when they grant it: encrypted, never in clear.

-- +goose Up
ALTER TABLE mp_users ADD COLUMN phone_enc TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE mp_users DROP COLUMN phone_enc;
