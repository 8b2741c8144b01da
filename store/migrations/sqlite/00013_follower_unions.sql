-- Followers' unionids, read from WeChat's user/info, so a citizen who signs
-- in to the Mini Program (whose login gives the unionid) also finds what
-- they raised through the Official Account. Dropped when they unfollow.

-- +goose Up
CREATE TABLE follower_unions (
    openid     TEXT     PRIMARY KEY,
    unionid    TEXT     NOT NULL DEFAULT '', -- '' when WeChat gave none
    checked_at DATETIME NOT NULL
);
CREATE INDEX follower_unions_unionid ON follower_unions (unionid);

-- +goose Down
DROP TABLE follower_unions;
