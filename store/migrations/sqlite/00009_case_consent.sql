-- Whether the citizen agreed to the case being shown, anonymised, on the
-- results wall (代表回音壁).

-- +goose Up
ALTER TABLE cases ADD COLUMN public_consent INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE cases DROP COLUMN public_consent;
