-- The reception register (接待选民登记簿): who came on a station's reception
-- day (a booking's citizen or a walk-in), which deputy received them, and
-- what they raised, each topic linked to the case made of it. A booking
-- nobody came to is a row too (status no_show): the register says so.

-- +goose Up
CREATE TABLE reception_visits (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    station_id  BIGINT       NOT NULL,
    day         CHAR(10)     NOT NULL,
    booking_id  BIGINT       NULL,
    visitor     VARCHAR(200) NOT NULL DEFAULT '',
    deputy_id   BIGINT       NULL,
    status      VARCHAR(16)  NOT NULL,
    recorded_by VARCHAR(64)  NOT NULL,
    created_at  DATETIME(3)  NOT NULL,
    UNIQUE KEY reception_visits_booking (booking_id),
    KEY reception_visits_day (station_id, day),
    CONSTRAINT reception_visits_station FOREIGN KEY (station_id) REFERENCES stations (id),
    CONSTRAINT reception_visits_booking FOREIGN KEY (booking_id) REFERENCES bookings (id),
    CONSTRAINT reception_visits_deputy FOREIGN KEY (deputy_id) REFERENCES deputies (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE reception_topics (
    id         BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    visit_id   BIGINT        NOT NULL,
    text       VARCHAR(2000) NOT NULL,
    case_id    BIGINT        NULL,
    created_at DATETIME(3)   NOT NULL,
    KEY reception_topics_visit (visit_id),
    CONSTRAINT reception_topics_visit FOREIGN KEY (visit_id) REFERENCES reception_visits (id),
    CONSTRAINT reception_topics_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE reception_topics;
DROP TABLE reception_visits;
