-- The codes WeChat issued for stations and deputies, kept so each is made
-- once (permanent codes are a quota of 100,000), and the one-time codes
-- deputies scan to bind their WeChat.

-- +goose Up
CREATE TABLE issued_codes (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    channel    VARCHAR(8)   NOT NULL,
    scene      VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    ticket     VARCHAR(255) NOT NULL DEFAULT '',
    url        VARCHAR(512) NOT NULL DEFAULT '',
    image      MEDIUMBLOB   NULL,
    created_at DATETIME(3)  NOT NULL,
    UNIQUE KEY issued_codes_scene (channel, scene)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE bind_tokens (
    token      VARCHAR(32) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    deputy_id  BIGINT      NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    used_at    DATETIME(3) NULL,
    used_by    VARCHAR(64) NULL,
    CONSTRAINT bind_tokens_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- +goose Down
DROP TABLE bind_tokens;
DROP TABLE issued_codes;
