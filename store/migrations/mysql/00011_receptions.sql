-- Reception slots on a station's published reception days, the deputies on
-- duty in each, and citizens' bookings. A slot's booked count only moves in
-- the same transaction as a booking, guarded by booked < capacity.

-- +goose Up
CREATE TABLE reception_slots (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    station_id BIGINT      NOT NULL,
    day        CHAR(10)    NOT NULL,
    starts     CHAR(5)     NOT NULL,
    ends       CHAR(5)     NOT NULL,
    capacity   INT         NOT NULL,
    booked     INT         NOT NULL DEFAULT 0,
    created_at DATETIME(3) NOT NULL,
    UNIQUE KEY reception_slots_time (station_id, day, starts),
    CONSTRAINT reception_slots_station FOREIGN KEY (station_id) REFERENCES stations (id),
    CONSTRAINT reception_slots_capacity CHECK (capacity > 0),
    CONSTRAINT reception_slots_booked CHECK (booked >= 0 AND booked <= capacity)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE reception_duty (
    slot_id   BIGINT NOT NULL,
    deputy_id BIGINT NOT NULL,
    PRIMARY KEY (slot_id, deputy_id),
    KEY reception_duty_deputy (deputy_id),
    CONSTRAINT reception_duty_slot FOREIGN KEY (slot_id) REFERENCES reception_slots (id),
    CONSTRAINT reception_duty_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE = InnoDB;

CREATE TABLE bookings (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slot_id      BIGINT       NOT NULL,
    openid       VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    holder       VARCHAR(64)  COLLATE utf8mb4_bin NULL,
    topic        VARCHAR(800) NOT NULL,
    status       VARCHAR(16)  NOT NULL DEFAULT 'booked',
    remind_with  VARCHAR(128) NOT NULL DEFAULT '',
    created_at   DATETIME(3)  NOT NULL,
    cancelled_at DATETIME(3)  NULL,
    UNIQUE KEY bookings_holder (slot_id, holder),
    KEY bookings_openid (openid, id),
    CONSTRAINT bookings_slot FOREIGN KEY (slot_id) REFERENCES reception_slots (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE bookings;
DROP TABLE reception_duty;
DROP TABLE reception_slots;
