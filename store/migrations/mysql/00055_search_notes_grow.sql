-- The indexer reads only what a case gained (issue 20, the callback on
-- MySQL). Since 00053 it recomputed the whole case of every note: every
-- text of the case read again, for each message a citizen adds — on a
-- conversation of sixty messages, sixty rows read for one. A note now says
-- whether all that happened to its text since it was last indexed is its
-- insertion (grows): a case whose notes all say so only gains pairs, and
-- the indexer adds the pairs of the noted texts to those the case had
-- (store/searchpostings.go). Any other change to a noted text (an update,
-- a move, a deletion, a note already waiting) clears grows, and the case
-- is recomputed whole as before. The triggers are those of 00050 and 00053
-- with grows kept so.

-- +goose Up
ALTER TABLE case_search_pending ADD COLUMN grows BOOLEAN NOT NULL DEFAULT FALSE;

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
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases FOR EACH ROW
BEGIN
    INSERT INTO case_search_pending (doc, case_id, grows) VALUES (NEW.id * 4, NEW.id, TRUE)
    ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_update AFTER UPDATE ON cases FOR EACH ROW
BEGIN
    IF NOT (NEW.summary <=> OLD.summary) THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4, NEW.id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases FOR EACH ROW
BEGIN
    INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.id * 4, OLD.id)
    ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_insert AFTER INSERT ON inbound_messages FOR EACH ROW
BEGIN
    IF NEW.case_id IS NOT NULL THEN
        INSERT INTO case_search_pending (doc, case_id, grows) VALUES (NEW.id * 4 + 1, NEW.case_id, TRUE)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_update AFTER UPDATE ON inbound_messages FOR EACH ROW
BEGIN
    IF COALESCE(NEW.case_id, OLD.case_id) IS NOT NULL
        AND NOT (NEW.case_id <=> OLD.case_id AND NEW.content <=> OLD.content AND NEW.recognition <=> OLD.recognition) THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 1, COALESCE(NEW.case_id, OLD.case_id))
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
    END IF;
    IF OLD.case_id IS NOT NULL AND NEW.case_id IS NOT NULL AND NEW.case_id <> OLD.case_id THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.case_id * 4, OLD.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_message_delete AFTER DELETE ON inbound_messages FOR EACH ROW
BEGIN
    IF OLD.case_id IS NOT NULL THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.id * 4 + 1, OLD.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_insert AFTER INSERT ON case_events FOR EACH ROW
BEGIN
    IF NEW.kind IN ('reply', 'result', 'closed') THEN
        INSERT INTO case_search_pending (doc, case_id, grows) VALUES (NEW.id * 4 + 2, NEW.case_id, TRUE)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_update AFTER UPDATE ON case_events FOR EACH ROW
BEGIN
    IF (NEW.kind IN ('reply', 'result', 'closed') OR OLD.kind IN ('reply', 'result', 'closed'))
        AND NOT (NEW.case_id <=> OLD.case_id AND NEW.kind <=> OLD.kind AND NEW.detail <=> OLD.detail) THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (NEW.id * 4 + 2, NEW.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
        IF NEW.case_id <> OLD.case_id THEN
            INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.case_id * 4, OLD.case_id)
            ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
        END IF;
    END IF;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER case_search_answer_delete AFTER DELETE ON case_events FOR EACH ROW
BEGIN
    IF OLD.kind IN ('reply', 'result', 'closed') THEN
        INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.id * 4 + 2, OLD.case_id)
        ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grows = FALSE;
    END IF;
END;
-- +goose StatementEnd

-- +goose Down
-- 00050's and 00053's triggers again; the column goes.
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
    INSERT INTO case_search_pending (doc, case_id) VALUES (OLD.id * 4, OLD.id)
    ON DUPLICATE KEY UPDATE case_id = VALUES(case_id);
END;
-- +goose StatementEnd

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

ALTER TABLE case_search_pending DROP COLUMN grows;
