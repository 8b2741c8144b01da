-- The people and places: a jurisdiction tree, stations with their reception
-- plans, deputies grouped into stations, groups with the categories they
-- take, departments.

-- +goose Up
CREATE TABLE jurisdictions (
    id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    parent_id BIGINT       NULL,
    name      VARCHAR(100) NOT NULL,
    level     VARCHAR(16)  NOT NULL,
    -- root_key makes root names unique as well: MySQL lets NULL parent_ids repeat.
    root_key  VARCHAR(100) AS (IF(parent_id IS NULL, name, NULL)) STORED,
    UNIQUE KEY jurisdictions_sibling (parent_id, name),
    UNIQUE KEY jurisdictions_root (root_key),
    CONSTRAINT jurisdictions_parent FOREIGN KEY (parent_id) REFERENCES jurisdictions (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

ALTER TABLE stations
    ADD COLUMN kind            VARCHAR(16) NOT NULL DEFAULT 'station',
    ADD COLUMN jurisdiction_id BIGINT      NULL,
    ADD COLUMN latitude        DOUBLE      NULL,
    ADD COLUMN longitude       DOUBLE      NULL,
    ADD COLUMN reception_days  VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN reception_plan  TEXT        NULL,
    ADD COLUMN open            BOOLEAN     NOT NULL DEFAULT TRUE,
    ADD CONSTRAINT stations_jurisdiction FOREIGN KEY (jurisdiction_id) REFERENCES jurisdictions (id);

ALTER TABLE deputies
    ADD COLUMN phone     VARCHAR(32)  NOT NULL DEFAULT '',
    ADD COLUMN profile   TEXT         NULL,
    ADD COLUMN openid    VARCHAR(64)  COLLATE utf8mb4_bin NULL,
    ADD COLUMN in_office BOOLEAN      NOT NULL DEFAULT TRUE,
    ADD UNIQUE KEY deputies_openid (openid);

CREATE TABLE deputy_stations (
    deputy_id  BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    PRIMARY KEY (deputy_id, station_id),
    CONSTRAINT deputy_stations_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id),
    CONSTRAINT deputy_stations_station FOREIGN KEY (station_id) REFERENCES stations (id)
) ENGINE = InnoDB;
INSERT INTO deputy_stations (deputy_id, station_id) SELECT id, station_id FROM deputies;

CREATE TABLE categories (
    id   BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    UNIQUE KEY categories_name (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE deputy_groups (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    station_id       BIGINT       NOT NULL,
    name             VARCHAR(100) NOT NULL,
    is_duty          BOOLEAN      NOT NULL DEFAULT FALSE,
    leader_deputy_id BIGINT       NULL,
    UNIQUE KEY deputy_groups_name (station_id, name),
    CONSTRAINT deputy_groups_station FOREIGN KEY (station_id) REFERENCES stations (id),
    CONSTRAINT deputy_groups_leader FOREIGN KEY (leader_deputy_id) REFERENCES deputies (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE group_members (
    group_id  BIGINT NOT NULL,
    deputy_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, deputy_id),
    CONSTRAINT group_members_group FOREIGN KEY (group_id) REFERENCES deputy_groups (id),
    CONSTRAINT group_members_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE = InnoDB;

CREATE TABLE group_categories (
    group_id    BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, category_id),
    CONSTRAINT group_categories_group FOREIGN KEY (group_id) REFERENCES deputy_groups (id),
    CONSTRAINT group_categories_category FOREIGN KEY (category_id) REFERENCES categories (id)
) ENGINE = InnoDB;

CREATE TABLE departments (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    jurisdiction_id BIGINT       NULL,
    name            VARCHAR(100) NOT NULL,
    UNIQUE KEY departments_name (jurisdiction_id, name),
    CONSTRAINT departments_jurisdiction FOREIGN KEY (jurisdiction_id) REFERENCES jurisdictions (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE departments;
DROP TABLE group_categories;
DROP TABLE group_members;
DROP TABLE deputy_groups;
DROP TABLE categories;
DROP TABLE deputy_stations;
ALTER TABLE deputies DROP INDEX deputies_openid, DROP COLUMN in_office, DROP COLUMN openid, DROP COLUMN profile, DROP COLUMN phone;
ALTER TABLE stations DROP FOREIGN KEY stations_jurisdiction, DROP COLUMN open, DROP COLUMN reception_plan,
    DROP COLUMN reception_days, DROP COLUMN longitude, DROP COLUMN latitude, DROP COLUMN jurisdiction_id, DROP COLUMN kind;
DROP TABLE jurisdictions;
