-- The departments a case is handed to: one lead (主办) and any co-handling
-- ones (协办). Each sees the case, acknowledges it (签收) and is told of
-- its deadline once each: ack_due is when an unacknowledged hand-over turns
-- the case yellow (NULL for hand-overs made before acknowledging existed),
-- the *_noticed_at columns are the sweep's compare-and-set marks.

-- +goose Up
CREATE TABLE case_departments (
    case_id            BIGINT       NOT NULL,
    department_id      BIGINT       NOT NULL,
    lead               TINYINT(1)   NOT NULL DEFAULT 0,
    handed_at          DATETIME(3)  NOT NULL,
    ack_due            DATETIME(3)  NULL,
    acknowledged_at    DATETIME(3)  NULL,
    acknowledged_by    VARCHAR(128) NOT NULL DEFAULT '',
    near_noticed_at    DATETIME(3)  NULL,
    overdue_noticed_at DATETIME(3)  NULL,
    PRIMARY KEY (case_id, department_id),
    KEY case_departments_department (department_id, case_id),
    CONSTRAINT case_departments_case FOREIGN KEY (case_id) REFERENCES cases (id),
    CONSTRAINT case_departments_dept FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO case_departments (case_id, department_id, lead, handed_at)
    SELECT id, department_id, 1, handed_at FROM cases WHERE department_id IS NOT NULL AND handed_at IS NOT NULL;

-- +goose Down
DROP TABLE case_departments;
