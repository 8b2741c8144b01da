-- The departments a case is handed to: one lead (主办) and any co-handling
-- ones (协办). Each sees the case, acknowledges it (签收) and is told of
-- its deadline once each: ack_due is when an unacknowledged hand-over turns
-- the case yellow (NULL for hand-overs made before acknowledging existed),
-- the *_noticed_at columns are the sweep's compare-and-set marks. Each
-- department records its result (办理结果) with attachments kept in the
-- media directory under random names, for the case's staff to review.

-- +goose Up
CREATE TABLE case_departments (
    case_id            INTEGER  NOT NULL REFERENCES cases (id),
    department_id      INTEGER  NOT NULL REFERENCES departments (id),
    lead               INTEGER  NOT NULL DEFAULT 0,
    handed_at          DATETIME NOT NULL,
    ack_due            DATETIME NULL,
    acknowledged_at    DATETIME NULL,
    acknowledged_by    TEXT     NOT NULL DEFAULT '',
    near_noticed_at    DATETIME NULL,
    overdue_noticed_at DATETIME NULL,
    PRIMARY KEY (case_id, department_id)
);
CREATE INDEX case_departments_department ON case_departments (department_id, case_id);
INSERT INTO case_departments (case_id, department_id, lead, handed_at)
    SELECT id, department_id, 1, handed_at FROM cases WHERE department_id IS NOT NULL AND handed_at IS NOT NULL;

CREATE TABLE department_results (
    id            INTEGER  PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER  NOT NULL REFERENCES cases (id),
    department_id INTEGER  NOT NULL REFERENCES departments (id),
    text          TEXT     NOT NULL,
    author        TEXT     NOT NULL,
    created_at    DATETIME NOT NULL
);
CREATE INDEX department_results_case ON department_results (case_id);
CREATE TABLE result_attachments (
    id           TEXT     PRIMARY KEY,
    result_id    INTEGER  NOT NULL REFERENCES department_results (id),
    case_id      INTEGER  NOT NULL REFERENCES cases (id),
    path         TEXT     NOT NULL,
    content_type TEXT     NOT NULL,
    size         INTEGER  NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE INDEX result_attachments_result ON result_attachments (result_id);

-- +goose Down
DROP TABLE result_attachments;
DROP TABLE department_results;
DROP TABLE case_departments;
