-- The people and places: a jurisdiction tree, stations with their reception
-- plans, deputies grouped into stations, groups with the categories they
-- take, departments.

-- +goose Up
CREATE TABLE jurisdictions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES jurisdictions (id),
    name      TEXT    NOT NULL,
    level     TEXT    NOT NULL -- city, district, town
);
-- Names are unique among siblings; the root's parent is NULL, so a second
-- index keeps root names unique too.
CREATE UNIQUE INDEX jurisdictions_sibling ON jurisdictions (parent_id, name);
CREATE UNIQUE INDEX jurisdictions_root ON jurisdictions (name) WHERE parent_id IS NULL;

ALTER TABLE stations ADD COLUMN kind TEXT NOT NULL DEFAULT 'station';
ALTER TABLE stations ADD COLUMN jurisdiction_id INTEGER REFERENCES jurisdictions (id);
ALTER TABLE stations ADD COLUMN latitude REAL;
ALTER TABLE stations ADD COLUMN longitude REAL;
ALTER TABLE stations ADD COLUMN reception_days TEXT NOT NULL DEFAULT '';
ALTER TABLE stations ADD COLUMN reception_plan TEXT NOT NULL DEFAULT '';
ALTER TABLE stations ADD COLUMN open INTEGER NOT NULL DEFAULT 1;

ALTER TABLE deputies ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE deputies ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE deputies ADD COLUMN openid TEXT;
ALTER TABLE deputies ADD COLUMN in_office INTEGER NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX deputies_openid ON deputies (openid);

-- deputies.station_id stays as the deputy's home station (the first listed);
-- every station they are grouped into (编组进站) is here.
CREATE TABLE deputy_stations (
    deputy_id  INTEGER NOT NULL REFERENCES deputies (id),
    station_id INTEGER NOT NULL REFERENCES stations (id),
    PRIMARY KEY (deputy_id, station_id)
);
INSERT INTO deputy_stations (deputy_id, station_id) SELECT id, station_id FROM deputies;

CREATE TABLE categories (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE deputy_groups (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id       INTEGER NOT NULL REFERENCES stations (id),
    name             TEXT    NOT NULL,
    is_duty          INTEGER NOT NULL DEFAULT 0,
    leader_deputy_id INTEGER REFERENCES deputies (id),
    UNIQUE (station_id, name)
);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES deputy_groups (id),
    deputy_id INTEGER NOT NULL REFERENCES deputies (id),
    PRIMARY KEY (group_id, deputy_id)
);

CREATE TABLE group_categories (
    group_id    INTEGER NOT NULL REFERENCES deputy_groups (id),
    category_id INTEGER NOT NULL REFERENCES categories (id),
    PRIMARY KEY (group_id, category_id)
);

CREATE TABLE departments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    jurisdiction_id INTEGER REFERENCES jurisdictions (id),
    name            TEXT NOT NULL,
    UNIQUE (jurisdiction_id, name)
);

-- +goose Down
DROP TABLE departments;
DROP TABLE group_categories;
DROP TABLE group_members;
DROP TABLE deputy_groups;
DROP TABLE categories;
DROP TABLE deputy_stations;
DROP INDEX deputies_openid;
ALTER TABLE deputies DROP COLUMN in_office;
ALTER TABLE deputies DROP COLUMN openid;
ALTER TABLE deputies DROP COLUMN profile;
ALTER TABLE deputies DROP COLUMN phone;
ALTER TABLE stations DROP COLUMN open;
ALTER TABLE stations DROP COLUMN reception_plan;
ALTER TABLE stations DROP COLUMN reception_days;
ALTER TABLE stations DROP COLUMN longitude;
ALTER TABLE stations DROP COLUMN latitude;
ALTER TABLE stations DROP COLUMN jurisdiction_id;
ALTER TABLE stations DROP COLUMN kind;
DROP TABLE jurisdictions;
