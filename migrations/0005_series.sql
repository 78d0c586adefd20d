-- Weekly lesson series and iCalendar feed tokens.
--
-- A series is a rule on the studio's wall clock: the same local time every
-- interval_weeks weeks from first_date, until until_date or for
-- occurrence_count lessons. Its lessons are ordinary bookings that carry
-- the series id and the date they were planned for, so a moved or
-- cancelled lesson is still known as an exception of its series.

CREATE TABLE series (
    id                INTEGER PRIMARY KEY,
    resource_id       TEXT    NOT NULL REFERENCES resources (id),
    teacher_id        INTEGER NOT NULL REFERENCES teachers (id),
    student_id        INTEGER NOT NULL REFERENCES students (id),
    -- Studio-local date of the first lesson (YYYY-MM-DD) and wall time (HH:MM).
    first_date        TEXT    NOT NULL,
    local_time        TEXT    NOT NULL,
    duration_min      INTEGER NOT NULL CHECK (duration_min BETWEEN 1 AND 720),
    interval_weeks    INTEGER NOT NULL CHECK (interval_weeks BETWEEN 1 AND 52),
    until_date        TEXT,
    occurrence_count  INTEGER,
    -- The IANA zone the wall time is read in.
    zone              TEXT    NOT NULL,
    notes             TEXT,
    created_by        TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    CHECK ((until_date IS NULL) <> (occurrence_count IS NULL))
);

ALTER TABLE bookings ADD COLUMN series_id INTEGER REFERENCES series (id);
-- The studio-local date (YYYY-MM-DD) the lesson was planned for in its series.
ALTER TABLE bookings ADD COLUMN series_date TEXT;

CREATE INDEX bookings_series ON bookings (series_id, series_date);

-- Calendar feeds: one unguessable token per teacher, resource or student
-- feed. Only the SHA-256 of the token is kept, so a copy of the database
-- does not reveal working feed URLs.
CREATE TABLE feed_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE,
    -- The first characters of the token, to tell feeds apart in the UI.
    token_hint   TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('teacher', 'resource', 'student')),
    target       TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
