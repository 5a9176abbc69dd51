-- Samples of high-rate device streams (compact payloads), staged until their window is packed
-- into one Observation with valueSampledData. A sample is committed here before its MQTT
-- message is acknowledged; the packer deletes the samples it folded into the Observation in the
-- same transaction that writes it. A re-sent sample meets the primary key and is ignored.
CREATE TABLE ingest_sample (
  tenant        text        NOT NULL,
  device_id     text        NOT NULL,   -- Device resource id
  metric        text        NOT NULL,   -- Open mHealth schema name
  window_start  timestamptz NOT NULL,   -- start of the packing window (a minute or an hour)
  slot          integer     NOT NULL,   -- sample index inside the window
  value         numeric,                -- canonical unit; NULL when the device sent none
  quality       text[],                 -- quality flags, NULL when none
  patient_id    text        NOT NULL,   -- Patient resource id
  device_key    text        NOT NULL,   -- the device identifier of the topic
  pseudonym     text        NOT NULL,   -- the patient pseudonym of the topic
  gateway_id    text,                   -- Device resource id of the relaying phone
  source_offset text        NOT NULL,   -- UTC offset the source sent, e.g. +01:00
  due_at        timestamptz NOT NULL,   -- when the window may be packed
  staged_at     timestamptz NOT NULL DEFAULT clock_timestamp(),  -- written, just before the commit
  PRIMARY KEY (tenant, device_id, metric, window_start, slot)
);
CREATE INDEX ingest_sample_due ON ingest_sample (due_at);
