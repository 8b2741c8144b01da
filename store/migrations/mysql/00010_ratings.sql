-- Citizens' verdicts on the answers to their cases (满意度测评): one per
-- answer, kept; the case carries its latest verdict and how many were poor
-- (the three colours of supervision read them).

-- +goose Up
ALTER TABLE cases ADD COLUMN rating VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN poor_ratings INT NOT NULL DEFAULT 0;

CREATE TABLE case_ratings (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    case_id        BIGINT       NOT NULL,
    reply_event_id BIGINT       NOT NULL,
    verdict        VARCHAR(32)  NOT NULL,
    comment        VARCHAR(2000) NOT NULL DEFAULT '',
    rated_at       DATETIME(3)  NOT NULL,
    UNIQUE KEY case_ratings_answer (case_id, reply_event_id),
    CONSTRAINT case_ratings_case FOREIGN KEY (case_id) REFERENCES cases (id),
    CONSTRAINT case_ratings_reply FOREIGN KEY (reply_event_id) REFERENCES case_events (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE case_ratings;
ALTER TABLE cases DROP COLUMN poor_ratings;
ALTER TABLE cases DROP COLUMN rating;
