-- The console's text search (issue 20): a full-text index over what a case
-- says — its summary, the citizen's messages on it (text and the voice
-- recognition) and the answers on its timeline (replies, department
-- results, how it was closed) — instead of a LIKE scan of the summary.
--
-- Chinese has no spaces between words, so InnoDB's own FULLTEXT parser
-- finds no words in it, and MariaDB has no ngram parser (MySQL 8's); its
-- minimum token of 3 characters would drop two-character words anyway. So
-- the text is cut into overlapping runs of two and of three characters,
-- each written as its UTF-8 bytes in hex ("电梯" → E794B5E6A2AF): tokens of
-- letters and digits that InnoDB's standard FULLTEXT parser indexes as they
-- are, on MariaDB and MySQL alike, with no plugin. A query of two
-- characters asks for its pair; a longer one for its runs of three
-- (store/search.go) — InnoDB reads each token's whole list of rows, and runs
-- of three are far rarer than pairs. What the index gives is re-checked
-- with LIKE on the texts themselves, so the search finds exactly what the
-- LIKE would have found; a one-character query falls back to LIKE.
-- The index is an ordinary InnoDB table: it commits and rolls back with the
-- write that changed the text (Mroonga, MariaDB's CJK full-text engine,
-- does not roll back, and would be a second engine to install and run).
--
-- One index row per text, its id the source row's ID times 4 plus the source
-- (0 the case's summary, 1 an inbound message, 2 an answer event); triggers
-- keep it current on every path that writes those texts. A text is indexed
-- up to its first 10,000 characters.

-- +goose Up
CREATE TABLE case_search (
    id      BIGINT     NOT NULL PRIMARY KEY,
    case_id BIGINT     NOT NULL,
    grams   MEDIUMTEXT CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    KEY case_search_case (case_id),
    FULLTEXT KEY case_search_grams (grams)
) ENGINE = InnoDB;

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

INSERT INTO case_search (id, case_id, grams) SELECT id * 4, id, case_search_grams(summary) FROM cases;
INSERT INTO case_search (id, case_id, grams)
    SELECT id * 4 + 1, case_id, case_search_grams(CONCAT_WS(' ', content, recognition))
    FROM inbound_messages WHERE case_id IS NOT NULL;
INSERT INTO case_search (id, case_id, grams)
    SELECT id * 4 + 2, case_id, case_search_grams(detail) FROM case_events WHERE kind IN ('reply', 'result', 'closed');

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

-- +goose Down
DROP TRIGGER case_search_answer_delete;
DROP TRIGGER case_search_answer_update;
DROP TRIGGER case_search_answer_insert;
DROP TRIGGER case_search_message_delete;
DROP TRIGGER case_search_message_update;
DROP TRIGGER case_search_message_insert;
DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_case_update;
DROP TRIGGER case_search_case_insert;
DROP FUNCTION case_search_grams;
DROP TABLE case_search;
