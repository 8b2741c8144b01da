-- What a citizen sent is recorded once: the inbound message names its case,
-- instead of a copy in case_messages.

-- +goose Up
ALTER TABLE inbound_messages
    ADD COLUMN case_id BIGINT NULL,
    ADD KEY inbound_messages_case (case_id, id),
    ADD CONSTRAINT inbound_messages_case FOREIGN KEY (case_id) REFERENCES cases (id);
UPDATE inbound_messages i JOIN case_messages cm ON cm.dedup_key = i.dedup_key SET i.case_id = cm.case_id;
DROP TABLE case_messages;

-- +goose Down
CREATE TABLE case_messages (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    case_id     BIGINT       NOT NULL,
    dedup_key   VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    msg_type    VARCHAR(32)  NOT NULL,
    content     MEDIUMTEXT   NULL,
    media_id    VARCHAR(255) NOT NULL DEFAULT '',
    media_path  VARCHAR(500) NOT NULL DEFAULT '',
    recognition TEXT         NULL,
    latitude    DOUBLE       NULL,
    longitude   DOUBLE       NULL,
    label       VARCHAR(500) NOT NULL DEFAULT '',
    created_at  DATETIME(3)  NOT NULL,
    UNIQUE KEY case_messages_dedup (dedup_key),
    KEY case_messages_case (case_id, id),
    CONSTRAINT case_messages_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO case_messages (case_id, dedup_key, msg_type, content, media_id, media_path, recognition, latitude, longitude, label, created_at)
SELECT case_id, dedup_key, msg_type, content, media_id, media_path, recognition, location_x, location_y, label, created_at
FROM inbound_messages WHERE case_id IS NOT NULL;
ALTER TABLE inbound_messages DROP FOREIGN KEY inbound_messages_case, DROP KEY inbound_messages_case, DROP COLUMN case_id;
