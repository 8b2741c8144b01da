-- MariaDB's text search as postings of character pairs (issue 20, search at
-- 5,000,000 cases). The FULLTEXT index of 00045 (every run of two and three
-- characters as hex tokens) answered a common word at 5,000,000 cases in
-- 30 s: InnoDB's FULLTEXT reads a token's whole list of documents and
-- cannot stop at the inbox's 50 newest. tools/ftbench measured the
-- alternatives at that size (REPORT.md): Mroonga fast but not
-- transactional (a rolled-back delete leaves a row its index no longer
-- finds); an ordinary InnoDB table of (pair, case) read newest first from
-- the rarest pair of the query, 0.2–31 ms in every shape tried. This is
-- that table.
--
-- case_postings holds one row for every distinct pair of neighbouring
-- characters (lower-cased, full-width Latin folded to ASCII) in any of a
-- case's texts: its summary, the citizen's messages on it and the answers.
-- A pair is one number, the first character's code point times 2^21 plus
-- the second's. case_grams keeps each case's set of pairs (six bytes each,
-- sorted), so that the indexer can remove the pairs a changed text no
-- longer has; it is also the row the indexer locks to work on a case.
-- case_gram_counts says in how many cases each pair occurs: the search
-- reads the rarest pair's postings first.
--
-- The triggers of 00050 keep noting changed texts in case_search_pending;
-- the indexer (store/searchindex.go) recomputes the whole case of each
-- note. So a text that leaves a case (a deleted message or answer, a
-- message moved to another case, a deleted case) now leaves a note for
-- the case it left instead of deleting an index row. Every existing case
-- is noted here, and the indexer fills the postings in the background;
-- until then the search reads noted cases by LIKE, exact as always.

-- +goose Up
CREATE TABLE case_postings (
    gram    BIGINT NOT NULL,
    case_id BIGINT NOT NULL,
    PRIMARY KEY (gram, case_id)
) ENGINE = InnoDB;

CREATE TABLE case_grams (
    case_id BIGINT     NOT NULL PRIMARY KEY,
    grams   MEDIUMBLOB NOT NULL
) ENGINE = InnoDB;

CREATE TABLE case_gram_counts (
    gram  BIGINT NOT NULL PRIMARY KEY,
    cases BIGINT NOT NULL
) ENGINE = InnoDB;

DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_message_update;
DROP TRIGGER case_search_message_delete;
DROP TRIGGER case_search_answer_update;
DROP TRIGGER case_search_answer_delete;

-- +goose StatementBegin
CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.id * 4, OLD.id)
    ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
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
    IF OLD.case_id IS NOT NULL AND NEW.case_id IS NOT NULL AND NEW.case_id <> OLD.case_id THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.case_id * 4, OLD.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_delete AFTER DELETE ON inbound_messages FOR EACH ROW
BEGIN
    IF OLD.case_id IS NOT NULL THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.id * 4 + 1, OLD.case_id)
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
        IF NEW.case_id <> OLD.case_id THEN
            INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.case_id * 4, OLD.case_id)
            ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
        END IF;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_delete AFTER DELETE ON case_events FOR EACH ROW
BEGIN
    IF OLD.kind IN ('reply', 'result', 'closed') THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.id * 4 + 2, OLD.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
    END IF;
END;
-- +goose StatementEnd

DROP TABLE case_search;

INSERT INTO case_search_pending (doc, case_id) SELECT id * 4, id FROM cases
ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);

-- +goose Down
-- 00050's index and triggers again; every text is noted for its indexer.
CREATE TABLE case_search (
    id      BIGINT     NOT NULL PRIMARY KEY,
    case_id BIGINT     NOT NULL,
    grams   MEDIUMTEXT CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    KEY case_search_case (case_id),
    FULLTEXT KEY case_search_grams (grams)
) ENGINE = InnoDB;

DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_message_update;
DROP TRIGGER case_search_message_delete;
DROP TRIGGER case_search_answer_update;
DROP TRIGGER case_search_answer_delete;

-- +goose StatementBegin
CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
    DELETE FROM case_search WHERE id = OLD.id * 4;
    DELETE FROM case_search_pending WHERE doc = OLD.id * 4;
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

INSERT INTO case_search_pending (doc, case_id) SELECT id * 4, id FROM cases
ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
INSERT INTO case_search_pending (doc, case_id) SELECT id * 4 + 1, case_id FROM inbound_messages WHERE case_id IS NOT NULL
ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
INSERT INTO case_search_pending (doc, case_id) SELECT id * 4 + 2, case_id FROM case_events WHERE kind IN ('reply', 'result', 'closed')
ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);

DROP TABLE case_gram_counts;
DROP TABLE case_grams;
DROP TABLE case_postings;
