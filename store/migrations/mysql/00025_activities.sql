-- Activities staff dispatch to deputies (发单), their answers (接单) and
-- their check-in by scanning the activity's code at the venue (结单).

-- +goose Up
CREATE TABLE activities (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    title      VARCHAR(100) NOT NULL,
    place      VARCHAR(200) NOT NULL,
    starts_at  DATETIME(3)  NOT NULL,
    ends_at    DATETIME(3)  NOT NULL,
    token      VARCHAR(32)  COLLATE utf8mb4_bin NOT NULL,
    created_by VARCHAR(64)  NOT NULL,
    created_at DATETIME(3)  NOT NULL,
    UNIQUE KEY activities_token (token)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE activity_invitations (
    activity_id   BIGINT      NOT NULL,
    deputy_id     BIGINT      NOT NULL,
    response      VARCHAR(16) NOT NULL DEFAULT '',
    responded_at  DATETIME(3) NULL,
    checked_in_at DATETIME(3) NULL,
    PRIMARY KEY (activity_id, deputy_id),
    KEY activity_invitations_deputy (deputy_id),
    CONSTRAINT activity_invitations_activity FOREIGN KEY (activity_id) REFERENCES activities (id),
    CONSTRAINT activity_invitations_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE activity_invitations;
DROP TABLE activities;
