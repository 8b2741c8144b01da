-- Activities staff dispatch to deputies (发单), their answers (接单) and
-- their check-in by scanning the activity's code at the venue (结单).

-- +goose Up
CREATE TABLE activities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT     NOT NULL,
    place      TEXT     NOT NULL,
    starts_at  DATETIME NOT NULL,
    ends_at    DATETIME NOT NULL,
    token      TEXT     NOT NULL UNIQUE, -- the check-in code's scene is "ac:" + token
    created_by TEXT     NOT NULL,
    created_at DATETIME NOT NULL
);

CREATE TABLE activity_invitations (
    activity_id   INTEGER  NOT NULL REFERENCES activities (id),
    deputy_id     INTEGER  NOT NULL REFERENCES deputies (id),
    response      TEXT     NOT NULL DEFAULT '', -- '', accepted, declined
    responded_at  DATETIME NULL,
    checked_in_at DATETIME NULL,
    PRIMARY KEY (activity_id, deputy_id)
);
CREATE INDEX activity_invitations_deputy ON activity_invitations (deputy_id);

-- +goose Down
DROP TABLE activity_invitations;
DROP TABLE activities;
