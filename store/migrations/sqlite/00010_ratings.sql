-- Citizens' verdicts on the answers to their cases (满意度测评): one per
-- answer, kept; the case carries its latest verdict and how many were poor
-- (the three colours of supervision read them).

-- +goose Up
ALTER TABLE cases ADD COLUMN rating TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN poor_ratings INTEGER NOT NULL DEFAULT 0;

CREATE TABLE case_ratings (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        INTEGER  NOT NULL REFERENCES cases (id),
    reply_event_id INTEGER  NOT NULL REFERENCES case_events (id),
    verdict        TEXT     NOT NULL,
    comment        TEXT     NOT NULL DEFAULT '',
    rated_at       DATETIME NOT NULL,
    UNIQUE (case_id, reply_event_id)
);

-- +goose Down
DROP TABLE case_ratings;
ALTER TABLE cases DROP COLUMN poor_ratings;
ALTER TABLE cases DROP COLUMN rating;
