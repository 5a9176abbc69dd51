-- The windows that hold staged samples, one row each, with the time the window falls due. The
-- packer finds the due windows here instead of reading the earliest due samples (60 per minute
-- window) and grouping them, and ingest_sample no longer carries an index on due time that every
-- staged and every packed sample paid for. The ingest writes a window's row with its samples, in
-- the same statement; the packer deletes it before it takes the window's samples.
CREATE TABLE ingest_window (
  tenant       text        NOT NULL,
  device_id    text        NOT NULL,
  metric       text        NOT NULL,
  window_start timestamptz NOT NULL,
  due_at       timestamptz NOT NULL,   -- when the window may be packed
  PRIMARY KEY (tenant, device_id, metric, window_start)
);
CREATE INDEX ingest_window_due ON ingest_window (due_at);
INSERT INTO ingest_window (tenant, device_id, metric, window_start, due_at)
  SELECT tenant, device_id, metric, window_start, min(due_at) FROM ingest_sample GROUP BY tenant, device_id, metric, window_start;
DROP INDEX ingest_sample_due;
ALTER TABLE ingest_sample DROP COLUMN due_at;
