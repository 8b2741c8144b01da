-- Pop-up desks (流动办公桌): a station's deputies meeting citizens at a
-- place for a time window, with a temporary code of their own. A case
-- raised there carries the desk's scene ("pd:" + token) like any code's,
-- which is how the desk's deputies reach it and how the desk counts what
-- it collected.

-- +goose Up
CREATE TABLE desks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    scene           TEXT     NOT NULL UNIQUE, -- "pd:" + token, as in cases.scene
    station_id      INTEGER  NOT NULL REFERENCES stations (id),
    place           TEXT     NOT NULL,
    starts_at       DATETIME NOT NULL,
    ends_at         DATETIME NOT NULL,
    created_by      TEXT     NOT NULL,
    created_at      DATETIME NOT NULL,
    code_ticket     TEXT     NOT NULL DEFAULT '', -- WeChat's temporary code, asked for once
    code_url        TEXT     NOT NULL DEFAULT '',
    code_expires_at DATETIME NULL
);
CREATE INDEX desks_station ON desks (station_id, starts_at);

CREATE TABLE desk_deputies (
    desk_id   INTEGER NOT NULL REFERENCES desks (id),
    deputy_id INTEGER NOT NULL REFERENCES deputies (id),
    PRIMARY KEY (desk_id, deputy_id)
);
CREATE INDEX desk_deputies_deputy ON desk_deputies (deputy_id);

-- A desk's matters are counted, and its deputies' cases found, by scene.
CREATE INDEX cases_scene ON cases (scene);

INSERT INTO point_rules (action, points, reason) VALUES ('desk', 2, '在流动办公桌接待群众');

-- +goose Down
DELETE FROM point_rules WHERE action = 'desk';
DROP INDEX cases_scene;
DROP TABLE desk_deputies;
DROP TABLE desks;
