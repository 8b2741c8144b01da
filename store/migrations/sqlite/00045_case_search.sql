-- The console's text search (issue 20): a full-text index over what a case
-- says — its summary, the citizen's messages on it (text and the voice
-- recognition) and the answers on its timeline (replies, department
-- results, how it was closed) — instead of a LIKE scan of the summary.
-- FTS5 with the trigram tokenizer: a query of three characters or more is
-- a substring match through the index, Chinese included (no word breaking
-- needed); shorter queries cannot use trigrams and the store falls back to
-- LIKE over the same texts (store/search.go).
-- One index row per text, its rowid the source row's ID times 4 plus the
-- source (0 the case's summary, 1 an inbound message, 2 an answer event), so
-- that a trigger finds its row by rowid; triggers keep it current on every
-- path that writes those texts, in the writer's own transaction.

-- +goose Up
CREATE VIRTUAL TABLE case_search USING fts5(body, case_id UNINDEXED, tokenize = 'trigram');

INSERT INTO case_search (rowid, body, case_id) SELECT id * 4, summary, id FROM cases;
INSERT INTO case_search (rowid, body, case_id)
    SELECT id * 4 + 1, content || ' ' || COALESCE(recognition, ''), case_id FROM inbound_messages WHERE case_id IS NOT NULL;
INSERT INTO case_search (rowid, body, case_id)
    SELECT id * 4 + 2, COALESCE(detail, ''), case_id FROM case_events WHERE kind IN ('reply', 'result', 'closed');

-- +goose StatementBegin
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases
BEGIN
    INSERT INTO case_search (rowid, body, case_id) VALUES (NEW.id * 4, NEW.summary, NEW.id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_update AFTER UPDATE OF summary ON cases
BEGIN
    UPDATE case_search SET body = NEW.summary WHERE rowid = NEW.id * 4;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases
BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id * 4;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_insert AFTER INSERT ON inbound_messages
WHEN NEW.case_id IS NOT NULL
BEGIN
    INSERT INTO case_search (rowid, body, case_id)
    VALUES (NEW.id * 4 + 1, NEW.content || ' ' || COALESCE(NEW.recognition, ''), NEW.case_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_update AFTER UPDATE OF case_id, content, recognition ON inbound_messages
BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id * 4 + 1;
    INSERT INTO case_search (rowid, body, case_id)
    SELECT NEW.id * 4 + 1, NEW.content || ' ' || COALESCE(NEW.recognition, ''), NEW.case_id WHERE NEW.case_id IS NOT NULL;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_delete AFTER DELETE ON inbound_messages
BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id * 4 + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_insert AFTER INSERT ON case_events
WHEN NEW.kind IN ('reply', 'result', 'closed')
BEGIN
    INSERT INTO case_search (rowid, body, case_id) VALUES (NEW.id * 4 + 2, COALESCE(NEW.detail, ''), NEW.case_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_update AFTER UPDATE OF case_id, kind, detail ON case_events
BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id * 4 + 2;
    INSERT INTO case_search (rowid, body, case_id)
    SELECT NEW.id * 4 + 2, COALESCE(NEW.detail, ''), NEW.case_id WHERE NEW.kind IN ('reply', 'result', 'closed');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_delete AFTER DELETE ON case_events
BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id * 4 + 2;
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
DROP TABLE case_search;
