-- Whether the citizen agreed to the case being shown, anonymised, on the
-- results wall (代表回音壁).

-- +goose Up
ALTER TABLE cases ADD COLUMN public_consent BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE cases DROP COLUMN public_consent;
