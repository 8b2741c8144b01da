-- The reception register (接待选民登记簿): who came on a station's reception
-- day (a booking's citizen or a walk-in), which deputy received them, and
-- what they raised, each topic linked to the case made of it. A booking
-- nobody came to is a row too (status no_show): the register says so.

-- +goose Up
CREATE TABLE reception_visits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id  INTEGER  NOT NULL REFERENCES stations (id),
    day         TEXT     NOT NULL, -- YYYY-MM-DD, China time
    booking_id  INTEGER  NULL UNIQUE REFERENCES bookings (id),
    visitor     TEXT     NOT NULL DEFAULT '', -- the name they gave, if any
    deputy_id   INTEGER  NULL REFERENCES deputies (id),
    status      TEXT     NOT NULL, -- came, no_show
    recorded_by TEXT     NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX reception_visits_day ON reception_visits (station_id, day);

CREATE TABLE reception_topics (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id   INTEGER  NOT NULL REFERENCES reception_visits (id),
    text       TEXT     NOT NULL,
    case_id    INTEGER  NULL REFERENCES cases (id),
    created_at DATETIME NOT NULL
);
CREATE INDEX reception_topics_visit ON reception_topics (visit_id);

-- +goose Down
DROP TABLE reception_topics;
DROP TABLE reception_visits;
