-- Multi-resource scheduling: rooms and instruments, two-step reschedules and
-- the resource-aware analytics event log.
--
-- Bookings written under the first schema keep resource_id NULL here; the
-- `melody backfill-resource-id` tool assigns them to 'primary' and audits it.
-- Until then the conflict rule treats NULL as 'primary'.

CREATE TABLE resources (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('room', 'instrument')),
    created_at  INTEGER NOT NULL
);

INSERT INTO resources (id, name, kind, created_at)
VALUES ('primary', 'Main studio', 'room', unixepoch());

ALTER TABLE bookings ADD COLUMN resource_id TEXT REFERENCES resources (id);

CREATE INDEX bookings_resource_start ON bookings (resource_id, start_at);

CREATE TABLE reschedules (
    id                    INTEGER PRIMARY KEY,
    booking_id            INTEGER NOT NULL REFERENCES bookings (id),
    status                TEXT    NOT NULL CHECK (status IN ('pending', 'completed', 'abandoned')),
    requested_by          TEXT    NOT NULL,
    requested_at          INTEGER NOT NULL,
    original_start_at     INTEGER NOT NULL,
    original_resource_id  TEXT,
    -- Hours from the request to the original start; negative once it began.
    lead_time_hours       REAL    NOT NULL,
    resolved_at           INTEGER,
    new_start_at          INTEGER,
    new_resource_id       TEXT
);

-- At most one open reschedule per booking.
CREATE UNIQUE INDEX reschedules_one_pending ON reschedules (booking_id) WHERE status = 'pending';
CREATE INDEX reschedules_booking ON reschedules (booking_id, id);

-- The open reschedule of a booking, kept on the row so that listing a busy
-- week needs no per-row look-up; reschedules_one_pending guards the same fact.
ALTER TABLE bookings ADD COLUMN pending_reschedule_id INTEGER REFERENCES reschedules (id);

-- Append-only log of what happened, for analysis and export.
CREATE TABLE analytics_events (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    booking_id   INTEGER,
    resource_id  TEXT,
    data_json    TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX analytics_events_at ON analytics_events (at);

CREATE TRIGGER analytics_events_no_update BEFORE UPDATE ON analytics_events
BEGIN
    SELECT RAISE(ABORT, 'analytics_events is append-only');
END;

CREATE TRIGGER analytics_events_no_delete BEFORE DELETE ON analytics_events
BEGIN
    SELECT RAISE(ABORT, 'analytics_events is append-only');
END;
