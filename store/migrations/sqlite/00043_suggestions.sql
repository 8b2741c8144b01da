-- Deputies' suggestions (代表建议，批评和意见): raised by a deputy alone or
-- jointly (联名), reviewed by the congress's working office (审核准入),
-- handed to a lead body and co-handling bodies (交办: the bodies are the
-- departments roster), contacted and answered in writing with a category
-- (办、复), evaluated by the deputy (背靠背评), handled again once when the
-- deputy is dissatisfied, and closed by the office. Its history is
-- suggestion_events, read through the same audience table as cases'.

-- +goose Up
-- A congress's session (届次、第几次会议): a suggestion submitted between
-- starts_at and ends_at carries it; between sessions it must be handed
-- over within five working days of receipt.
CREATE TABLE congress_sessions (
    id        INTEGER  PRIMARY KEY AUTOINCREMENT,
    name      TEXT     NOT NULL UNIQUE, -- 第十七届人民代表大会第三次会议
    term      INTEGER  NOT NULL,        -- 届次
    meeting   INTEGER  NOT NULL,        -- 第几次会议
    starts_at DATETIME NOT NULL,
    ends_at   DATETIME NOT NULL
);

-- The answer categories staff configure (A/B/C by default); promise says
-- the body must set when it will be done (B).
CREATE TABLE answer_categories (
    code    TEXT    PRIMARY KEY,
    label   TEXT    NOT NULL,
    promise INTEGER NOT NULL DEFAULT 0,
    solved  INTEGER NOT NULL DEFAULT 0, -- counts as implemented (落实)
    sort    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO answer_categories (code, label, promise, solved, sort) VALUES ('A', '已解决或基本解决', 0, 1, 1);
INSERT INTO answer_categories (code, label, promise, solved, sort) VALUES ('B', '列入计划逐步解决', 1, 0, 2);
INSERT INTO answer_categories (code, label, promise, solved, sort) VALUES ('C', '因条件限制暂时难以解决', 0, 0, 3);

CREATE TABLE suggestions (
    id              INTEGER  PRIMARY KEY AUTOINCREMENT,
    number          TEXT     NOT NULL DEFAULT '', -- given on acceptance (立案号)
    deputy_id       INTEGER  NOT NULL REFERENCES deputies (id), -- the lead deputy (领衔代表)
    station_id      INTEGER  NOT NULL REFERENCES stations (id), -- the lead deputy's station when raised: reach
    session_id      INTEGER  NULL REFERENCES congress_sessions (id),
    title           TEXT     NOT NULL,
    matter          TEXT     NOT NULL,           -- 案由、情况
    proposal        TEXT     NOT NULL,           -- 建议
    category        TEXT     NOT NULL DEFAULT '',
    status          TEXT     NOT NULL,           -- draft, submitted, returned, accepted, refused, merged, withdrawn, handed, answered, evaluated, redo, closed
    reason          TEXT     NOT NULL DEFAULT '', -- the last return, refusal or withdrawal reason, as the deputy reads it
    paper           INTEGER  NOT NULL DEFAULT 0, -- entered by staff from paper
    entered_by      TEXT     NOT NULL DEFAULT '',
    merged_into     INTEGER  NULL REFERENCES suggestions (id),
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    received_at     DATETIME NULL, -- first submitted: the five-working-day rule counts from it
    submitted_at    DATETIME NULL, -- last submitted
    handover_due    DATETIME NULL, -- between sessions: five working days after receipt
    accepted_at     DATETIME NULL,
    handed_at       DATETIME NULL,
    due             DATETIME NULL, -- the answer's deadline
    extended        INTEGER  NOT NULL DEFAULT 0, -- six months instead of three
    extend_reason   TEXT     NOT NULL DEFAULT '',
    round           INTEGER  NOT NULL DEFAULT 1, -- 2 once handled again (不满意)
    redo_due        DATETIME NULL,
    answered_at     DATETIME NULL,
    promised_on     DATETIME NULL, -- B: when the body will have done it
    promise_asked_at DATETIME NULL, -- the sweep's compare-and-set mark
    closed_at       DATETIME NULL,
    close_note      TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX suggestions_deputy ON suggestions (deputy_id, id);
CREATE INDEX suggestions_station ON suggestions (station_id, id);
CREATE INDEX suggestions_status ON suggestions (status, id);

-- Co-signers of a joint suggestion (联名): invited by the lead deputy,
-- they confirm (or decline) on their phones; a deputy whose suggestion was
-- merged into this one is credited here too (merged = 1).
CREATE TABLE suggestion_signers (
    suggestion_id INTEGER  NOT NULL REFERENCES suggestions (id),
    deputy_id     INTEGER  NOT NULL REFERENCES deputies (id),
    invited_at    DATETIME NOT NULL,
    confirmed_at  DATETIME NULL,
    declined_at   DATETIME NULL,
    merged        INTEGER  NOT NULL DEFAULT 0,
    PRIMARY KEY (suggestion_id, deputy_id)
);
CREATE INDEX suggestion_signers_deputy ON suggestion_signers (deputy_id, suggestion_id);

-- The citizens' cases a suggestion was raised from, both ways.
CREATE TABLE suggestion_cases (
    suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    PRIMARY KEY (suggestion_id, case_id)
);
CREATE INDEX suggestion_cases_case ON suggestion_cases (case_id);

-- The bodies a suggestion is handed to: one lead (主办), any co-handling.
CREATE TABLE suggestion_bodies (
    suggestion_id      INTEGER  NOT NULL REFERENCES suggestions (id),
    department_id      INTEGER  NOT NULL REFERENCES departments (id),
    lead               INTEGER  NOT NULL DEFAULT 0,
    handed_at          DATETIME NOT NULL,
    ack_due            DATETIME NOT NULL,
    acknowledged_at    DATETIME NULL,
    acknowledged_by    TEXT     NOT NULL DEFAULT '',
    near_noticed_at    DATETIME NULL,
    overdue_noticed_at DATETIME NULL,
    PRIMARY KEY (suggestion_id, department_id)
);
CREATE INDEX suggestion_bodies_department ON suggestion_bodies (department_id, suggestion_id);

-- A body's contacts with the deputy (联系沟通): required before the answer.
CREATE TABLE suggestion_contacts (
    id            INTEGER  PRIMARY KEY AUTOINCREMENT,
    suggestion_id INTEGER  NOT NULL REFERENCES suggestions (id),
    department_id INTEGER  NOT NULL REFERENCES departments (id),
    round         INTEGER  NOT NULL DEFAULT 1,
    contacted_on  DATETIME NOT NULL,
    how           TEXT     NOT NULL, -- phone, visit, meeting
    note          TEXT     NOT NULL DEFAULT '',
    author        TEXT     NOT NULL,
    created_at    DATETIME NOT NULL
);
CREATE INDEX suggestion_contacts_suggestion ON suggestion_contacts (suggestion_id, id);

-- The lead body's answers (答复, lead = 1, with a category) and the
-- co-handling bodies' opinions to the lead (协办意见, lead = 0).
CREATE TABLE suggestion_answers (
    id            INTEGER  PRIMARY KEY AUTOINCREMENT,
    suggestion_id INTEGER  NOT NULL REFERENCES suggestions (id),
    department_id INTEGER  NOT NULL REFERENCES departments (id),
    lead          INTEGER  NOT NULL DEFAULT 1,
    round         INTEGER  NOT NULL DEFAULT 1,
    category      TEXT     NOT NULL DEFAULT '',
    text          TEXT     NOT NULL,
    promised_on   DATETIME NULL,
    author        TEXT     NOT NULL,
    created_at    DATETIME NOT NULL
);
CREATE INDEX suggestion_answers_suggestion ON suggestion_answers (suggestion_id, id);

-- Files: the scan of a paper suggestion (answer_id NULL) and answer
-- letters (答复函), kept in the media directory under random names.
CREATE TABLE suggestion_files (
    id            TEXT     PRIMARY KEY,
    suggestion_id INTEGER  NOT NULL REFERENCES suggestions (id),
    answer_id     INTEGER  NULL REFERENCES suggestion_answers (id),
    path          TEXT     NOT NULL,
    content_type  TEXT     NOT NULL,
    size          INTEGER  NOT NULL,
    created_at    DATETIME NOT NULL
);
CREATE INDEX suggestion_files_suggestion ON suggestion_files (suggestion_id);

-- The deputy's evaluation (背靠背): of the answer and of the contact; the
-- bodies read it only once the suggestion is closed.
CREATE TABLE suggestion_evaluations (
    id              INTEGER  PRIMARY KEY AUTOINCREMENT,
    suggestion_id   INTEGER  NOT NULL REFERENCES suggestions (id),
    answer_id       INTEGER  NOT NULL REFERENCES suggestion_answers (id),
    deputy_id       INTEGER  NOT NULL REFERENCES deputies (id),
    round           INTEGER  NOT NULL,
    answer_verdict  TEXT     NOT NULL, -- satisfied, basic, dissatisfied
    contact_verdict TEXT     NOT NULL,
    comment         TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    UNIQUE (suggestion_id, round)
);

-- A suggestion's history; who reads each line is the timeline's audience table.
CREATE TABLE suggestion_events (
    id            INTEGER  PRIMARY KEY AUTOINCREMENT,
    suggestion_id INTEGER  NOT NULL REFERENCES suggestions (id),
    at            DATETIME NOT NULL,
    kind          TEXT     NOT NULL,
    actor         TEXT     NOT NULL DEFAULT '',
    detail        TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX suggestion_events_suggestion ON suggestion_events (suggestion_id, id);

-- +goose Down
DROP TABLE suggestion_events;
DROP TABLE suggestion_evaluations;
DROP TABLE suggestion_files;
DROP TABLE suggestion_answers;
DROP TABLE suggestion_contacts;
DROP TABLE suggestion_bodies;
DROP TABLE suggestion_cases;
DROP TABLE suggestion_signers;
DROP TABLE suggestions;
DROP TABLE answer_categories;
DROP TABLE congress_sessions;
