-- Aggregates behind the Prometheus metrics, updated in the same transaction
-- as each booking write so that a scrape reads a few rows whatever the size
-- of the history.
--
-- metric_totals: event counters that only grow (confirmations, late
-- cancellations, confirmed minutes, completed reschedules, the duration
-- histogram's buckets, reschedule lead-time sum and count) and the running
-- median's position.
-- metric_resource_state: per-resource gauges of the current state.

CREATE TABLE metric_totals (
    name   TEXT PRIMARY KEY,
    value  REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE metric_resource_state (
    resource_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    value        REAL NOT NULL,
    PRIMARY KEY (resource_id, name)
) WITHOUT ROWID;

-- Lead times in order, for the running median.
CREATE INDEX reschedules_lead_time ON reschedules (lead_time_hours, id);

-- Seed the aggregates from the history already stored. Every booking was
-- confirmed when it was created, so each one counts once.
INSERT INTO metric_totals (name, value)
SELECT 'confirmed_total', COUNT(*) FROM bookings
UNION ALL SELECT 'confirmed_minutes_total', COALESCE(SUM(duration_min), 0) FROM bookings
UNION ALL SELECT 'cancelled_late_total', COUNT(*) FROM bookings WHERE penalty_reason = 'late_cancel'
UNION ALL SELECT 'reschedule_completed_total', COUNT(*) FROM reschedules WHERE status = 'completed'
UNION ALL SELECT 'reschedule_initiated_total', COUNT(*) FROM reschedules
UNION ALL SELECT 'reschedule_lead_time_hours_sum', COALESCE(SUM(lead_time_hours), 0) FROM reschedules
UNION ALL SELECT 'duration_sum', COALESCE(SUM(duration_min), 0) FROM bookings
UNION ALL SELECT 'duration_le_0', COUNT(*) FROM bookings WHERE duration_min <= 0
UNION ALL SELECT 'duration_le_15', COUNT(*) FROM bookings WHERE duration_min > 0 AND duration_min <= 15
UNION ALL SELECT 'duration_le_30', COUNT(*) FROM bookings WHERE duration_min > 15 AND duration_min <= 30
UNION ALL SELECT 'duration_le_45', COUNT(*) FROM bookings WHERE duration_min > 30 AND duration_min <= 45
UNION ALL SELECT 'duration_le_60', COUNT(*) FROM bookings WHERE duration_min > 45 AND duration_min <= 60
UNION ALL SELECT 'duration_le_90', COUNT(*) FROM bookings WHERE duration_min > 60 AND duration_min <= 90
UNION ALL SELECT 'duration_le_120', COUNT(*) FROM bookings WHERE duration_min > 90 AND duration_min <= 120
UNION ALL SELECT 'duration_le_240', COUNT(*) FROM bookings WHERE duration_min > 120 AND duration_min <= 240
UNION ALL SELECT 'duration_le_480', COUNT(*) FROM bookings WHERE duration_min > 240 AND duration_min <= 480
UNION ALL SELECT 'duration_le_inf', COUNT(*) FROM bookings WHERE duration_min > 480;

-- The lower median of the lead times: the element at 0-based position
-- (n - 1) / 2 in (lead_time_hours, id) order, or 0 when there is none.
INSERT INTO metric_totals (name, value)
SELECT 'reschedule_median_lo_id', COALESCE((
    SELECT id FROM reschedules ORDER BY lead_time_hours, id
    LIMIT 1 OFFSET (SELECT (COUNT(*) - 1) / 2 FROM reschedules)
), 0);

INSERT INTO metric_resource_state (resource_id, name, value)
SELECT COALESCE(resource_id, 'primary'), 'confirmed', COUNT(*)
FROM bookings WHERE status = 'confirmed' GROUP BY 1
UNION ALL
SELECT COALESCE(resource_id, 'primary'), 'confirmed_minutes', SUM(duration_min)
FROM bookings WHERE status = 'confirmed' GROUP BY 1
UNION ALL
SELECT COALESCE(resource_id, 'primary'), 'cancelled_late', COUNT(*)
FROM bookings WHERE penalty_reason = 'late_cancel' GROUP BY 1;
