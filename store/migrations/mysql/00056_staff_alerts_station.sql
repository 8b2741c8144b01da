-- Every alert names its station (issue 20, a province's day). The to-do
-- list found a station's open alerts through COALESCE(alert's station,
-- its case's), which no index answers: every console page of every
-- secretary read all open alerts of the database, 7,900 of them by a
-- province's morning. Alerts are written with their station (or their
-- case's, store/cases.go), the few written without one get their case's
-- here, and the list reads a station's alerts by the index on
-- (seen_at, station_id).

-- +goose Up
UPDATE staff_alerts SET station_id = (SELECT c.station_id FROM cases c WHERE c.id = staff_alerts.case_id)
WHERE station_id IS NULL AND case_id IS NOT NULL;

-- +goose Down
-- Nothing to undo: an alert's station filled in is the one it was shown to.
