-- The departments a case is handed to: one lead (主办) and any co-handling
-- ones (协办). Each sees the case, acknowledges it (签收) and is told of
-- its deadline once each: ack_due is when an unacknowledged hand-over turns
-- the case yellow (NULL for hand-overs made before acknowledging existed),
-- the *_noticed_at columns are the sweep's compare-and-set marks. Each
-- department records its result (办理结果) with attachments kept in the
-- media directory under random names, for the case's staff to review.

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

CREATE TABLE department_results (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    case_id       BIGINT       NOT NULL,
    department_id BIGINT       NOT NULL,
    text          TEXT         NOT NULL,
    author        VARCHAR(128) NOT NULL,
    created_at    DATETIME(3)  NOT NULL,
    KEY department_results_case (case_id),
    CONSTRAINT department_results_case FOREIGN KEY (case_id) REFERENCES cases (id),
    CONSTRAINT department_results_dept FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE result_attachments (
    id           CHAR(32)     COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    result_id    BIGINT       NOT NULL,
    case_id      BIGINT       NOT NULL,
    path         VARCHAR(255) NOT NULL,
    content_type VARCHAR(64)  NOT NULL,
    size         BIGINT       NOT NULL,
    created_at   DATETIME(3)  NOT NULL,
    KEY result_attachments_result (result_id),
    CONSTRAINT result_attachments_result FOREIGN KEY (result_id) REFERENCES department_results (id),
    CONSTRAINT result_attachments_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE result_attachments;
DROP TABLE department_results;
DROP TABLE case_departments;
