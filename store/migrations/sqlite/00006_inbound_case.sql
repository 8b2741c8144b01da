-- What a citizen sent is recorded once: the inbound message names its case,
-- instead of a copy in case_messages.

-- +goose Up
ALTER TABLE inbound_messages ADD COLUMN case_id INTEGER REFERENCES cases (id);
UPDATE inbound_messages SET case_id = (SELECT cm.case_id FROM case_messages cm WHERE cm.dedup_key = inbound_messages.dedup_key);
CREATE INDEX inbound_messages_case ON inbound_messages (case_id, id);
DROP TABLE case_messages;

-- +goose Down
CREATE TABLE case_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER  NOT NULL REFERENCES cases (id),
    dedup_key   TEXT     NOT NULL UNIQUE,
    msg_type    TEXT     NOT NULL,
    content     TEXT     NOT NULL DEFAULT '',
    media_id    TEXT     NOT NULL DEFAULT '',
    media_path  TEXT     NOT NULL DEFAULT '',
    recognition TEXT     NOT NULL DEFAULT '',
    latitude    REAL,
    longitude   REAL,
    label       TEXT     NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
INSERT INTO case_messages (case_id, dedup_key, msg_type, content, media_id, media_path, recognition, latitude, longitude, label, created_at)
SELECT case_id, dedup_key, msg_type, content, media_id, media_path, recognition, location_x, location_y, label, created_at
FROM inbound_messages WHERE case_id IS NOT NULL;
DROP INDEX inbound_messages_case;
ALTER TABLE inbound_messages DROP COLUMN case_id;
