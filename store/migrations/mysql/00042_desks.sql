-- Pop-up desks (流动办公桌): a station's deputies meeting citizens at a
-- place for a time window, with a temporary code of their own. A case
-- raised there carries the desk's scene ("pd:" + token) like any code's,
-- which is how the desk's deputies reach it and how the desk counts what
-- it collected.

-- +goose Up
CREATE TABLE desks (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    scene           VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    station_id      BIGINT       NOT NULL,
    place           VARCHAR(200) NOT NULL,
    starts_at       DATETIME(3)  NOT NULL,
    ends_at         DATETIME(3)  NOT NULL,
    created_by      VARCHAR(64)  NOT NULL,
    created_at      DATETIME(3)  NOT NULL,
    code_ticket     VARCHAR(512) NOT NULL DEFAULT '',
    code_url        VARCHAR(512) NOT NULL DEFAULT '',
    code_expires_at DATETIME(3)  NULL,
    UNIQUE KEY desks_scene (scene),
    KEY desks_station (station_id, starts_at),
    CONSTRAINT desks_station FOREIGN KEY (station_id) REFERENCES stations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE desk_deputies (
    desk_id   BIGINT NOT NULL,
    deputy_id BIGINT NOT NULL,
    PRIMARY KEY (desk_id, deputy_id),
    KEY desk_deputies_deputy (deputy_id),
    CONSTRAINT desk_deputies_desk FOREIGN KEY (desk_id) REFERENCES desks (id),
    CONSTRAINT desk_deputies_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- A desk's matters are counted, and its deputies' cases found, by scene.
CREATE INDEX cases_scene ON cases (scene);

INSERT INTO point_rules (action, points, reason) VALUES ('desk', 2, '在流动办公桌接待群众');

-- +goose Down
DELETE FROM point_rules WHERE action = 'desk';
DROP INDEX cases_scene ON cases;
DROP TABLE desk_deputies;
DROP TABLE desks;
