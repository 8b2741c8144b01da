-- Reception slots on a station's published reception days, the deputies on
-- duty in each, and citizens' bookings. A slot's booked count only moves in
-- the same transaction as a booking, guarded by booked < capacity.

-- +goose Up
CREATE TABLE reception_slots (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id INTEGER  NOT NULL REFERENCES stations (id),
    day        TEXT     NOT NULL, -- YYYY-MM-DD, China time
    starts     TEXT     NOT NULL, -- HH:MM
    ends       TEXT     NOT NULL,
    capacity   INTEGER  NOT NULL CHECK (capacity > 0),
    booked     INTEGER  NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    created_at DATETIME NOT NULL,
    UNIQUE (station_id, day, starts)
);

CREATE TABLE reception_duty (
    slot_id   INTEGER NOT NULL REFERENCES reception_slots (id),
    deputy_id INTEGER NOT NULL REFERENCES deputies (id),
    PRIMARY KEY (slot_id, deputy_id)
);
CREATE INDEX reception_duty_deputy ON reception_duty (deputy_id);

CREATE TABLE bookings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    slot_id      INTEGER  NOT NULL REFERENCES reception_slots (id),
    openid       TEXT     NOT NULL,
    holder       TEXT     NULL, -- the openid while booked, NULL once cancelled: one live booking per citizen and slot
    topic        TEXT     NOT NULL,
    status       TEXT     NOT NULL DEFAULT 'booked',
    remind_with  TEXT     NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    cancelled_at DATETIME NULL,
    UNIQUE (slot_id, holder)
);
CREATE INDEX bookings_openid ON bookings (openid, id);

-- +goose Down
DROP TABLE bookings;
DROP TABLE reception_duty;
DROP TABLE reception_slots;
