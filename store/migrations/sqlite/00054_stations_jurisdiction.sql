-- The stations of one city (issue 20, a province's day). The case page
-- listed where a case may move by reading every station of the database —
-- 10,000 in a province — and keeping its city's. It now reads the city's
-- jurisdictions and their stations by this index (MySQL has one already:
-- the foreign key's).

-- +goose Up
CREATE INDEX stations_jurisdiction ON stations (jurisdiction_id);

-- +goose Down
DROP INDEX stations_jurisdiction;
