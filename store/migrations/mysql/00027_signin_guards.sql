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
    name_hash    CHAR(64)    CHARACTER SET ascii NOT NULL,
    address      VARCHAR(64) CHARACTER SET ascii NOT NULL,
    failures     INT         NOT NULL,
    locked_until DATETIME(3) NULL,
    updated_at   DATETIME(3) NOT NULL,
    PRIMARY KEY (name_hash, address),
    KEY signin_failures_updated (updated_at)
) ENGINE = InnoDB;

CREATE TABLE signin_attempts (
    address  VARCHAR(64) CHARACTER SET ascii NOT NULL,
    minute   BIGINT      NOT NULL, -- Unix time / 60
    attempts INT         NOT NULL,
    PRIMARY KEY (address, minute),
    KEY signin_attempts_minute (minute)
) ENGINE = InnoDB;

ALTER TABLE staff_users DROP COLUMN failed_logins, DROP COLUMN locked_until;

-- +goose Down
ALTER TABLE staff_users ADD COLUMN failed_logins INT NOT NULL DEFAULT 0, ADD COLUMN locked_until DATETIME(3) NULL;
DROP TABLE signin_attempts;
DROP TABLE signin_failures;
