-- The search index off the writer's path (issue 20, speed). Until now the
-- triggers of 00045 wrote the full-text index in the writer's own
-- transaction, and FTS5 flushed its pending data to disk at every
-- savepoint of the writer's group (one per push): a tenth of the
-- service's CPU on the WeChat callback. Now a trigger only notes which
-- text changed, in case_search_pending (the text's index rowid and its
-- case); the indexer (store/searchindex.go, every second or so) writes a
-- batch of them into case_search in one transaction and removes their
-- notes. Until it has, the search takes a case with a noted text as a
-- candidate too, and the LIKE re-check decides (store/search.go): a text
-- is found the moment it is committed, exactly as before.
-- A deletion still removes the index row itself (it never happens on the
-- callback's path). What is already indexed needs no note.

-- +goose Up
CREATE TABLE case_search_pending (
    doc     INTEGER NOT NULL PRIMARY KEY, -- case_search's rowid: the source's ID times 4 plus its kind
    case_id INTEGER NOT NULL
);
CREATE INDEX case_search_pending_case ON case_search_pending (case_id);

DROP TRIGGER case_search_case_insert;
DROP TRIGGER case_search_case_update;
DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_message_insert;
DROP TRIGGER case_search_message_update;
DROP TRIGGER case_search_message_delete;
DROP TRIGGER case_search_answer_insert;
DROP TRIGGER case_search_answer_update;
DROP TRIGGER case_search_answer_delete;

-- +goose StatementBegin
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4, NEW.id)
    ON CONFLICT (doc) DO NOTHING;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_update AFTER UPDATE OF summary ON cases
WHEN NEW.summary IS NOT OLD.summary
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4, NEW.id)
    ON CONFLICT (doc) DO NOTHING;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases
BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id * 4;
    DELETE FROM case_search_pending WHERE doc = OLD.id * 4;
END;
-- +goose StatementEnd

-- A message taken off its case keeps a note under the case it left: the
-- indexer then finds it on no case and removes its index row.
-- +goose StatementBegin
CREATE TRIGGER case_search_message_insert AFTER INSERT ON inbound_messages
WHEN NEW.case_id IS NOT NULL
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 1, NEW.case_id)
    ON CONFLICT (doc) DO UPDATE SET case_id = excluded.case_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_update AFTER UPDATE OF case_id, content, recognition ON inbound_messages
WHEN COALESCE(NEW.case_id, OLD.case_id) IS NOT NULL
    AND (NEW.case_id IS NOT OLD.case_id OR NEW.content IS NOT OLD.content OR NEW.recognition IS NOT OLD.recognition)
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 1, COALESCE(NEW.case_id, OLD.case_id))
    ON CONFLICT (doc) DO UPDATE SET case_id = excluded.case_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_delete AFTER DELETE ON inbound_messages
BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id * 4 + 1;
    DELETE FROM case_search_pending WHERE doc = OLD.id * 4 + 1;
END;
-- +goose StatementEnd

-- An event that stops being an answer keeps a note too: the indexer
-- removes its index row.
-- +goose StatementBegin
CREATE TRIGGER case_search_answer_insert AFTER INSERT ON case_events
WHEN NEW.kind IN ('reply', 'result', 'closed')
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 2, NEW.case_id)
    ON CONFLICT (doc) DO UPDATE SET case_id = excluded.case_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_update AFTER UPDATE OF case_id, kind, detail ON case_events
WHEN (NEW.kind IN ('reply', 'result', 'closed') OR OLD.kind IN ('reply', 'result', 'closed'))
    AND (NEW.case_id IS NOT OLD.case_id OR NEW.kind IS NOT OLD.kind OR NEW.detail IS NOT OLD.detail)
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 2, NEW.case_id)
    ON CONFLICT (doc) DO UPDATE SET case_id = excluded.case_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_delete AFTER DELETE ON case_events
BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id * 4 + 2;
    DELETE FROM case_search_pending WHERE doc = OLD.id * 4 + 2;
END;
-- +goose StatementEnd

-- +goose Down
-- 00045's triggers again, after the noted texts are indexed as they are.
DELETE FROM case_search WHERE rowid IN (SELECT doc FROM case_search_pending);
INSERT INTO case_search (rowid, body, case_id)
    SELECT id * 4, summary, id FROM cases WHERE id IN (SELECT doc / 4 FROM case_search_pending WHERE doc % 4 = 0);
INSERT INTO case_search (rowid, body, case_id)
    SELECT id * 4 + 1, content || ' ' || COALESCE(recognition, ''), case_id FROM inbound_messages
    WHERE case_id IS NOT NULL AND id IN (SELECT doc / 4 FROM case_search_pending WHERE doc % 4 = 1);
INSERT INTO case_search (rowid, body, case_id)
    SELECT id * 4 + 2, COALESCE(detail, ''), case_id FROM case_events
    WHERE kind IN ('reply', 'result', 'closed') AND id IN (SELECT doc / 4 FROM case_search_pending WHERE doc % 4 = 2);

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
