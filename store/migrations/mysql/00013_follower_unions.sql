-- Followers' unionids, read from WeChat's user/info, so a citizen who signs
-- in to the Mini Program (whose login gives the unionid) also finds what
-- they raised through the Official Account. Dropped when they unfollow.

-- +goose Up
CREATE TABLE follower_unions (
    openid     VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    unionid    VARCHAR(64) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    checked_at DATETIME(3) NOT NULL,
    KEY follower_unions_unionid (unionid)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE follower_unions;
