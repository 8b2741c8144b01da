-- Walk-ins (来访、电话、来信、信访转来、接待日、流动办公桌、代表转来): a
-- case entered for a citizen by staff or passed on by a deputy. The case
-- itself is an ordinary case (its openid empty until the citizen claims it
-- with the slip's code); this row says how it came, who entered it, the
-- citizen's name and sealed phone, and the hash of the claim code. Passing
-- on a voter's matter (代表转来) earns points once staff accept it.

-- +goose Up
CREATE TABLE case_walkins (
    case_id        BIGINT       NOT NULL PRIMARY KEY,
    channel        VARCHAR(16)  NOT NULL,
    entered_by     VARCHAR(32)  NOT NULL,
    entered_name   VARCHAR(64)  NOT NULL,
    request_id     VARCHAR(64)  NOT NULL,
    text_key       CHAR(32)     NOT NULL,
    citizen_name   VARCHAR(64)  NOT NULL DEFAULT '',
    phone_sealed   VARCHAR(255) NOT NULL DEFAULT '',
    claim_hash     CHAR(64)     NOT NULL,
    claim_failures INT          NOT NULL DEFAULT 0,
    claimed_at     DATETIME(3)  NULL,
    phoned_at      DATETIME(3)  NULL,
    created_at     DATETIME(3)  NOT NULL,
    UNIQUE KEY case_walkins_request (entered_by, request_id),
    KEY case_walkins_text (entered_by, text_key, created_at),
    CONSTRAINT case_walkins_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO point_rules (action, points, reason) VALUES ('relay', 2, '转来选民当面反映的问题，经工作人员受理');

-- +goose Down
DELETE FROM point_rules WHERE action = 'relay';
DROP TABLE case_walkins;
