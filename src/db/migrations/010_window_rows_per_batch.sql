-- Each batch that stages samples in a window adds a row of its own to ingest_window instead of
-- upserting the window's one row. The upsert had to wait while a packer held that row (deleted,
-- its transaction still writing the window's Observation), so a watch syncing later than the pack
-- delay stalled the whole ingest behind the packer. A batch's row commits with its samples, so no
-- sample is ever staged without a row that leads the packer to it: a packer that deletes a
-- window's rows and then its samples either takes the batch's samples or leaves them, with their
-- row, for the next round.
ALTER TABLE ingest_window DROP CONSTRAINT ingest_window_pkey;
CREATE INDEX ingest_window_key ON ingest_window (tenant, device_id, metric, window_start);
