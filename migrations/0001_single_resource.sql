-- The first schema: one studio room, so bookings name no resource.
-- Instants are UTC Unix seconds; durations are whole minutes.

CREATE TABLE teachers (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE students (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    email       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE bookings (
    id              INTEGER PRIMARY KEY,
    teacher_id      INTEGER NOT NULL REFERENCES teachers (id),
    student_id      INTEGER NOT NULL REFERENCES students (id),
    start_at        INTEGER NOT NULL,
    duration_min    INTEGER NOT NULL CHECK (duration_min BETWEEN 1 AND 720),
    status          TEXT    NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    penalty_reason  TEXT             CHECK (penalty_reason IN ('late_cancel')),
    notes           TEXT,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    cancelled_at    INTEGER
);

CREATE INDEX bookings_start ON bookings (start_at);
CREATE INDEX bookings_teacher_start ON bookings (teacher_id, start_at);
CREATE INDEX bookings_student_start ON bookings (student_id, start_at);

-- One row per change to a booking; rows are never updated or deleted.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    booking_id  INTEGER REFERENCES bookings (id),
    actor       TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    before_json TEXT,
    after_json  TEXT
);

CREATE INDEX audit_log_booking ON audit_log (booking_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
