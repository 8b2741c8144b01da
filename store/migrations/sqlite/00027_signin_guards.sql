-- Sign-in's guards. Wrong passwords are counted by the name typed and the
-- address it came from, not by account: guessing at a name from one address
-- locks that name out at that address only, so nobody elsewhere can keep an
-- administrator out, and an unknown name is locked out exactly as a real
-- one (the lock-out tells nothing of which names exist). The name is kept
-- as its SHA-256: people type passwords into it by mistake. Attempts per
-- address and minute are counted here too, so that every instance sees
-- them all. The account's own count and lock go.

-- +goose Up
CREATE TABLE signin_failures (
    name_hash    TEXT     NOT NULL,
    address      TEXT     NOT NULL,
    failures     INTEGER  NOT NULL,
    locked_until DATETIME NULL,
    updated_at   DATETIME NOT NULL,
    PRIMARY KEY (name_hash, address)
);
CREATE INDEX signin_failures_updated ON signin_failures (updated_at);

CREATE TABLE signin_attempts (
    address  TEXT    NOT NULL,
    minute   INTEGER NOT NULL, -- Unix time / 60
    attempts INTEGER NOT NULL,
    PRIMARY KEY (address, minute)
);
CREATE INDEX signin_attempts_minute ON signin_attempts (minute);

ALTER TABLE staff_users DROP COLUMN failed_logins;
ALTER TABLE staff_users DROP COLUMN locked_until;

-- +goose Down
ALTER TABLE staff_users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff_users ADD COLUMN locked_until DATETIME NULL;
DROP TABLE signin_attempts;
DROP TABLE signin_failures;
