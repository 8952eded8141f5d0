-- Up Migration

-- The console's charts count a campaign's attempts by dial time over a bounded recent window: an
-- index range, not a scan of every attempt the campaign has made.
CREATE INDEX attempt_dialled ON attempt (campaign_id, dialled_at);

-- Down Migration

DROP INDEX attempt_dialled;
