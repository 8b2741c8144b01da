-- Walk-ins (来访、电话、来信、信访转来、接待日、流动办公桌、代表转来): a
-- case entered for a citizen by staff or passed on by a deputy. The case
-- itself is an ordinary case (its openid empty until the citizen claims it
-- with the slip's code); this row says how it came, who entered it, the
-- citizen's name and sealed phone, and the hash of the claim code. Passing
-- on a voter's matter (代表转来) earns points once staff accept it.

-- +goose Up
CREATE TABLE case_walkins (
    case_id        INTEGER  PRIMARY KEY REFERENCES cases (id),
    channel        TEXT     NOT NULL,
    entered_by     TEXT     NOT NULL, -- staff:<account id> or deputy:<deputy id>
    entered_name   TEXT     NOT NULL,
    request_id     TEXT     NOT NULL,
    text_key       TEXT     NOT NULL, -- hash of the text without spacing: the same matter entered twice
    citizen_name   TEXT     NOT NULL DEFAULT '',
    phone_sealed   TEXT     NOT NULL DEFAULT '', -- AES-GCM with MASHANG_DATA_KEY, as Mini Program phones
    claim_hash     TEXT     NOT NULL,
    claim_failures INTEGER  NOT NULL DEFAULT 0,
    claimed_at     DATETIME NULL,
    phoned_at      DATETIME NULL, -- staff told the unlinked citizen the answer by phone
    created_at     DATETIME NOT NULL
);
CREATE UNIQUE INDEX case_walkins_request ON case_walkins (entered_by, request_id);
CREATE INDEX case_walkins_text ON case_walkins (entered_by, text_key, created_at);
INSERT INTO point_rules (action, points, reason) VALUES ('relay', 2, '转来选民当面反映的问题，经工作人员受理');

-- +goose Down
DELETE FROM point_rules WHERE action = 'relay';
DROP TABLE case_walkins;
