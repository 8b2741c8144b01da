-- The search index off the writer's path (issue 20, speed). Until now the
-- triggers of 00045 cut every text into its grams with a stored function
-- (a loop over every character) and wrote the FULLTEXT index in the
-- writer's own transaction: 100-170 µs of the server's CPU per push on the
-- WeChat callback. Now a trigger only notes which text changed, in
-- case_search_pending (the text's index id and its case); the indexer
-- (store/searchindex.go, every second or so, on whichever instance claims
-- the notes first) cuts the grams in Go — the same tokens the function
-- made — and writes a batch of them into case_search in one transaction,
-- removing their notes. Until it has, the search takes a case with a noted
-- text as a candidate too, and the LIKE re-check decides (store/search.go):
-- a text is found the moment it is committed, exactly as before.
-- A deletion still removes the index row itself (it never happens on the
-- callback's path). What is already indexed needs no note. The stored
-- function goes: nothing calls it any more.

-- +goose Up
CREATE TABLE case_search_pending (
    doc     BIGINT NOT NULL PRIMARY KEY, -- case_search's id: the source's ID times 4 plus its kind
    case_id BIGINT NOT NULL,
    KEY case_search_pending_case (case_id)
) ENGINE = InnoDB;

DROP TRIGGER case_search_case_insert;
DROP TRIGGER case_search_case_update;
DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_message_insert;
DROP TRIGGER case_search_message_update;
DROP TRIGGER case_search_message_delete;
DROP TRIGGER case_search_answer_insert;
DROP TRIGGER case_search_answer_update;
DROP TRIGGER case_search_answer_delete;
DROP FUNCTION case_search_grams;

-- +goose StatementBegin
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases FOR EACH ROW
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4, NEW.id)
    ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_update AFTER UPDATE ON cases FOR EACH ROW
BEGIN
    IF NOT (NEW.summary <=> OLD.summary) THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4, NEW.id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
    DELETE FROM case_search WHERE id = OLD.id * 4;
    DELETE FROM case_search_pending WHERE doc = OLD.id * 4;
END;
-- +goose StatementEnd

-- A message taken off its case keeps a note under the case it left: the
-- indexer then finds it on no case and removes its index row.
-- +goose StatementBegin
CREATE TRIGGER case_search_message_insert AFTER INSERT ON inbound_messages FOR EACH ROW
BEGIN
    IF NEW.case_id IS NOT NULL THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 1, NEW.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_update AFTER UPDATE ON inbound_messages FOR EACH ROW
BEGIN
    IF COALESCE(NEW.case_id, OLD.case_id) IS NOT NULL
        AND NOT (NEW.case_id <=> OLD.case_id AND NEW.content <=> OLD.content AND NEW.recognition <=> OLD.recognition) THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 1, COALESCE(NEW.case_id, OLD.case_id))
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_delete AFTER DELETE ON inbound_messages FOR EACH ROW
BEGIN
    DELETE FROM case_search WHERE id = OLD.id * 4 + 1;
    DELETE FROM case_search_pending WHERE doc = OLD.id * 4 + 1;
END;
-- +goose StatementEnd

-- An event that stops being an answer keeps a note too: the indexer
-- removes its index row.
-- +goose StatementBegin
CREATE TRIGGER case_search_answer_insert AFTER INSERT ON case_events FOR EACH ROW
BEGIN
    IF NEW.kind IN ('reply', 'result', 'closed') THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 2, NEW.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_update AFTER UPDATE ON case_events FOR EACH ROW
BEGIN
    IF (NEW.kind IN ('reply', 'result', 'closed') OR OLD.kind IN ('reply', 'result', 'closed'))
        AND NOT (NEW.case_id <=> OLD.case_id AND NEW.kind <=> OLD.kind AND NEW.detail <=> OLD.detail) THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 2, NEW.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_delete AFTER DELETE ON case_events FOR EACH ROW
BEGIN
    DELETE FROM case_search WHERE id = OLD.id * 4 + 2;
    DELETE FROM case_search_pending WHERE doc = OLD.id * 4 + 2;
END;
-- +goose StatementEnd

-- +goose Down
-- 00045's function and triggers again, after the noted texts are indexed
-- as they are.
-- +goose StatementBegin
CREATE FUNCTION case_search_grams(t MEDIUMTEXT CHARSET utf8mb4) RETURNS MEDIUMTEXT CHARSET ascii
    DETERMINISTIC NO SQL
BEGIN
    DECLARE s VARCHAR(10000) CHARSET utf8mb4 DEFAULT LOWER(LEFT(COALESCE(t, ''), 10000));
    DECLARE n INT DEFAULT CHAR_LENGTH(s);
    DECLARE i INT DEFAULT 1;
    DECLARE grams MEDIUMTEXT CHARSET ascii DEFAULT '';
    WHILE i < n DO
        SET grams = CONCAT(grams, HEX(SUBSTRING(s, i, 2)), ' ');
        IF i + 1 < n THEN
            SET grams = CONCAT(grams, HEX(SUBSTRING(s, i, 3)), ' ');
        END IF;
        SET i = i + 1;
    END WHILE;
    RETURN grams;
END;
-- +goose StatementEnd

DELETE FROM case_search WHERE id IN (SELECT doc FROM case_search_pending);
INSERT INTO case_search (id, case_id, grams)
    SELECT id * 4, id, case_search_grams(summary) FROM cases
    WHERE id IN (SELECT doc DIV 4 FROM case_search_pending WHERE doc % 4 = 0);
INSERT INTO case_search (id, case_id, grams)
    SELECT id * 4 + 1, case_id, case_search_grams(CONCAT_WS(' ', content, recognition)) FROM inbound_messages
    WHERE case_id IS NOT NULL AND id IN (SELECT doc DIV 4 FROM case_search_pending WHERE doc % 4 = 1);
INSERT INTO case_search (id, case_id, grams)
    SELECT id * 4 + 2, case_id, case_search_grams(detail) FROM case_events
    WHERE kind IN ('reply', 'result', 'closed') AND id IN (SELECT doc DIV 4 FROM case_search_pending WHERE doc % 4 = 2);

DROP TRIGGER case_search_answer_delete;
DROP TRIGGER case_search_answer_update;
DROP TRIGGER case_search_answer_insert;
DROP TRIGGER case_search_message_delete;
DROP TRIGGER case_search_message_update;
DROP TRIGGER case_search_message_insert;
DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_case_update;
DROP TRIGGER case_search_case_insert;
DROP TABLE case_search_pending;

-- +goose StatementBegin
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases FOR EACH ROW
BEGIN
    INSERT INTO case_search (id, case_id, grams) VALUES (NEW.id * 4, NEW.id, case_search_grams(NEW.summary));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_update AFTER UPDATE ON cases FOR EACH ROW
BEGIN
    IF NOT (NEW.summary <=> OLD.summary) THEN
        UPDATE case_search SET grams = case_search_grams(NEW.summary) WHERE id = NEW.id * 4;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
    DELETE FROM case_search WHERE id = OLD.id * 4;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_insert AFTER INSERT ON inbound_messages FOR EACH ROW
BEGIN
    IF NEW.case_id IS NOT NULL THEN
        INSERT INTO case_search (id, case_id, grams)
        VALUES (NEW.id * 4 + 1, NEW.case_id, case_search_grams(CONCAT_WS(' ', NEW.content, NEW.recognition)));
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_update AFTER UPDATE ON inbound_messages FOR EACH ROW
BEGIN
    IF NOT (NEW.case_id <=> OLD.case_id AND NEW.content <=> OLD.content AND NEW.recognition <=> OLD.recognition) THEN
        DELETE FROM case_search WHERE id = OLD.id * 4 + 1;
        IF NEW.case_id IS NOT NULL THEN
            INSERT INTO case_search (id, case_id, grams)
            VALUES (NEW.id * 4 + 1, NEW.case_id, case_search_grams(CONCAT_WS(' ', NEW.content, NEW.recognition)));
        END IF;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_delete AFTER DELETE ON inbound_messages FOR EACH ROW
BEGIN
    DELETE FROM case_search WHERE id = OLD.id * 4 + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_insert AFTER INSERT ON case_events FOR EACH ROW
BEGIN
    IF NEW.kind IN ('reply', 'result', 'closed') THEN
        INSERT INTO case_search (id, case_id, grams) VALUES (NEW.id * 4 + 2, NEW.case_id, case_search_grams(NEW.detail));
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_update AFTER UPDATE ON case_events FOR EACH ROW
BEGIN
    IF NOT (NEW.case_id <=> OLD.case_id AND NEW.kind <=> OLD.kind AND NEW.detail <=> OLD.detail) THEN
        DELETE FROM case_search WHERE id = OLD.id * 4 + 2;
        IF NEW.kind IN ('reply', 'result', 'closed') THEN
            INSERT INTO case_search (id, case_id, grams) VALUES (NEW.id * 4 + 2, NEW.case_id, case_search_grams(NEW.detail));
        END IF;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_delete AFTER DELETE ON case_events FOR EACH ROW
BEGIN
    DELETE FROM case_search WHERE id = OLD.id * 4 + 2;
END;
-- +goose StatementEnd
