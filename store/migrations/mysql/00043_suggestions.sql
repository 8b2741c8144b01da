-- Deputies' suggestions (代表建议，批评和意见): raised by a deputy alone or
-- jointly (联名), reviewed by the congress's working office (审核准入),
-- handed to a lead body and co-handling bodies (交办: the bodies are the
-- departments roster), contacted and answered in writing with a category
-- (办、复), evaluated by the deputy (背靠背评), handled again once when the
-- deputy is dissatisfied, and closed by the office. Its history is
-- suggestion_events, read through the same audience table as cases'.
-- (Comments on each column: see the SQLite migration of the same number.)

-- +goose Up
CREATE TABLE congress_sessions (
    id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name      VARCHAR(100) NOT NULL,
    term      INT          NOT NULL,
    meeting   INT          NOT NULL,
    starts_at DATETIME(3)  NOT NULL,
    ends_at   DATETIME(3)  NOT NULL,
    UNIQUE KEY congress_sessions_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE answer_categories (
    code    VARCHAR(8)   COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    label   VARCHAR(64)  NOT NULL,
    promise TINYINT(1)   NOT NULL DEFAULT 0,
    solved  TINYINT(1)   NOT NULL DEFAULT 0,
    sort    INT          NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO answer_categories (code, label, promise, solved, sort) VALUES ('A', '已解决或基本解决', 0, 1, 1);
INSERT INTO answer_categories (code, label, promise, solved, sort) VALUES ('B', '列入计划逐步解决', 1, 0, 2);
INSERT INTO answer_categories (code, label, promise, solved, sort) VALUES ('C', '因条件限制暂时难以解决', 0, 0, 3);

CREATE TABLE suggestions (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    number           VARCHAR(32)  NOT NULL DEFAULT '',
    deputy_id        BIGINT       NOT NULL,
    station_id       BIGINT       NOT NULL,
    session_id       BIGINT       NULL,
    title            VARCHAR(200) NOT NULL,
    matter           TEXT         NOT NULL,
    proposal         TEXT         NOT NULL,
    category         VARCHAR(32)  NOT NULL DEFAULT '',
    status           VARCHAR(16)  NOT NULL,
    reason           VARCHAR(1000) NOT NULL DEFAULT '',
    paper            TINYINT(1)   NOT NULL DEFAULT 0,
    entered_by       VARCHAR(128) NOT NULL DEFAULT '',
    merged_into      BIGINT       NULL,
    created_at       DATETIME(3)  NOT NULL,
    updated_at       DATETIME(3)  NOT NULL,
    received_at      DATETIME(3)  NULL,
    submitted_at     DATETIME(3)  NULL,
    handover_due     DATETIME(3)  NULL,
    accepted_at      DATETIME(3)  NULL,
    handed_at        DATETIME(3)  NULL,
    due              DATETIME(3)  NULL,
    extended         TINYINT(1)   NOT NULL DEFAULT 0,
    extend_reason    VARCHAR(500) NOT NULL DEFAULT '',
    round            INT          NOT NULL DEFAULT 1,
    redo_due         DATETIME(3)  NULL,
    answered_at      DATETIME(3)  NULL,
    promised_on      DATETIME(3)  NULL,
    promise_asked_at DATETIME(3)  NULL,
    closed_at        DATETIME(3)  NULL,
    close_note       VARCHAR(1000) NOT NULL DEFAULT '',
    KEY suggestions_deputy (deputy_id, id),
    KEY suggestions_station (station_id, id),
    KEY suggestions_status (status, id),
    CONSTRAINT suggestions_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id),
    CONSTRAINT suggestions_station FOREIGN KEY (station_id) REFERENCES stations (id),
    CONSTRAINT suggestions_session FOREIGN KEY (session_id) REFERENCES congress_sessions (id),
    CONSTRAINT suggestions_merged FOREIGN KEY (merged_into) REFERENCES suggestions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE suggestion_signers (
    suggestion_id BIGINT      NOT NULL,
    deputy_id     BIGINT      NOT NULL,
    invited_at    DATETIME(3) NOT NULL,
    confirmed_at  DATETIME(3) NULL,
    declined_at   DATETIME(3) NULL,
    merged        TINYINT(1)  NOT NULL DEFAULT 0,
    PRIMARY KEY (suggestion_id, deputy_id),
    KEY suggestion_signers_deputy (deputy_id, suggestion_id),
    CONSTRAINT suggestion_signers_suggestion FOREIGN KEY (suggestion_id) REFERENCES suggestions (id),
    CONSTRAINT suggestion_signers_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE suggestion_cases (
    suggestion_id BIGINT NOT NULL,
    case_id       BIGINT NOT NULL,
    PRIMARY KEY (suggestion_id, case_id),
    KEY suggestion_cases_case (case_id),
    CONSTRAINT suggestion_cases_suggestion FOREIGN KEY (suggestion_id) REFERENCES suggestions (id),
    CONSTRAINT suggestion_cases_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE suggestion_bodies (
    suggestion_id      BIGINT       NOT NULL,
    department_id      BIGINT       NOT NULL,
    lead               TINYINT(1)   NOT NULL DEFAULT 0,
    handed_at          DATETIME(3)  NOT NULL,
    ack_due            DATETIME(3)  NOT NULL,
    acknowledged_at    DATETIME(3)  NULL,
    acknowledged_by    VARCHAR(128) NOT NULL DEFAULT '',
    near_noticed_at    DATETIME(3)  NULL,
    overdue_noticed_at DATETIME(3)  NULL,
    PRIMARY KEY (suggestion_id, department_id),
    KEY suggestion_bodies_department (department_id, suggestion_id),
    CONSTRAINT suggestion_bodies_suggestion FOREIGN KEY (suggestion_id) REFERENCES suggestions (id),
    CONSTRAINT suggestion_bodies_dept FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE suggestion_contacts (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    suggestion_id BIGINT       NOT NULL,
    department_id BIGINT       NOT NULL,
    round         INT          NOT NULL DEFAULT 1,
    contacted_on  DATETIME(3)  NOT NULL,
    how           VARCHAR(16)  NOT NULL,
    note          VARCHAR(1000) NOT NULL DEFAULT '',
    author        VARCHAR(128) NOT NULL,
    created_at    DATETIME(3)  NOT NULL,
    KEY suggestion_contacts_suggestion (suggestion_id, id),
    CONSTRAINT suggestion_contacts_suggestion FOREIGN KEY (suggestion_id) REFERENCES suggestions (id),
    CONSTRAINT suggestion_contacts_dept FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE suggestion_answers (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    suggestion_id BIGINT       NOT NULL,
    department_id BIGINT       NOT NULL,
    lead          TINYINT(1)   NOT NULL DEFAULT 1,
    round         INT          NOT NULL DEFAULT 1,
    category      VARCHAR(8)   NOT NULL DEFAULT '',
    text          TEXT         NOT NULL,
    promised_on   DATETIME(3)  NULL,
    author        VARCHAR(128) NOT NULL,
    created_at    DATETIME(3)  NOT NULL,
    KEY suggestion_answers_suggestion (suggestion_id, id),
    CONSTRAINT suggestion_answers_suggestion FOREIGN KEY (suggestion_id) REFERENCES suggestions (id),
    CONSTRAINT suggestion_answers_dept FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE suggestion_files (
    id            CHAR(32)     COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    suggestion_id BIGINT       NOT NULL,
    answer_id     BIGINT       NULL,
    path          VARCHAR(255) NOT NULL,
    content_type  VARCHAR(64)  NOT NULL,
    size          BIGINT       NOT NULL,
    created_at    DATETIME(3)  NOT NULL,
    KEY suggestion_files_suggestion (suggestion_id),
    CONSTRAINT suggestion_files_suggestion FOREIGN KEY (suggestion_id) REFERENCES suggestions (id),
    CONSTRAINT suggestion_files_answer FOREIGN KEY (answer_id) REFERENCES suggestion_answers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE suggestion_evaluations (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    suggestion_id   BIGINT       NOT NULL,
    answer_id       BIGINT       NOT NULL,
    deputy_id       BIGINT       NOT NULL,
    round           INT          NOT NULL,
    answer_verdict  VARCHAR(16)  NOT NULL,
    contact_verdict VARCHAR(16)  NOT NULL,
    comment         VARCHAR(1000) NOT NULL DEFAULT '',
    created_at      DATETIME(3)  NOT NULL,
    UNIQUE KEY suggestion_evaluations_round (suggestion_id, round),
    CONSTRAINT suggestion_evaluations_suggestion FOREIGN KEY (suggestion_id) REFERENCES suggestions (id),
    CONSTRAINT suggestion_evaluations_answer FOREIGN KEY (answer_id) REFERENCES suggestion_answers (id),
    CONSTRAINT suggestion_evaluations_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE suggestion_events (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    suggestion_id BIGINT       NOT NULL,
    at            DATETIME(3)  NOT NULL,
    kind          VARCHAR(32)  NOT NULL,
    actor         VARCHAR(128) NOT NULL DEFAULT '',
    detail        TEXT         NOT NULL,
    KEY suggestion_events_suggestion (suggestion_id, id),
    CONSTRAINT suggestion_events_suggestion FOREIGN KEY (suggestion_id) REFERENCES suggestions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

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
