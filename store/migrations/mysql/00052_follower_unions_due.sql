-- Followers whose unionid is still to be read (issue 20, a province's day).
-- The filler found them by an anti-join of every follower against
-- follower_unions, sorted, on every new follower's wake: at a province's
-- scale that read and sorted every follower each time and took a good
-- share of MariaDB's CPU. Now the follow that makes someone a follower
-- writes their row here (store/inbound.go), the filler reads the oldest
-- rows, and recording the unionid or the unfollow removes the row.

-- +goose Up
CREATE TABLE follower_unions_due (
    openid    VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    queued_at DATETIME(3) NOT NULL,
    KEY follower_unions_due_queued (queued_at)
) ENGINE = InnoDB;

INSERT INTO follower_unions_due (openid, queued_at)
SELECT f.openid, f.state_changed_at FROM followers f
LEFT JOIN follower_unions u ON u.openid = f.openid
WHERE f.subscribed AND u.openid IS NULL;

-- +goose Down
DROP TABLE follower_unions_due;
