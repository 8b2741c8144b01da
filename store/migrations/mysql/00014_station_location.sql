-- Stations near a citizen are found in a box of latitudes and longitudes.

-- +goose Up
CREATE INDEX stations_location ON stations (latitude, longitude);

-- +goose Down
DROP INDEX stations_location ON stations;
