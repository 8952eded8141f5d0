-- Up Migration

-- The time zones a number may lie in. Distinct sets are few (a few hundred at most), so a contact
-- refers to one by id, and a lease decides per set, not per number, which are inside their hours.
CREATE TABLE zone_set (
  id     serial PRIMARY KEY,
  zones  text[] NOT NULL UNIQUE
);

-- Numbers imported before calling rules existed get the empty set: their campaigns have no hours.
INSERT INTO zone_set (zones) VALUES ('{}');
ALTER TABLE contact ADD COLUMN zone_set integer;
UPDATE contact SET zone_set = (SELECT id FROM zone_set WHERE zones = '{}');
ALTER TABLE contact ALTER COLUMN zone_set SET NOT NULL;
-- Dials that were callbacks: they do not count against maxAttempts (attempts counts every dial).
ALTER TABLE contact ADD COLUMN callbacks smallint NOT NULL DEFAULT 0;
-- A callback waiting to be dialled: the call whose disposition asked for it, and the agent it is for
-- (NULL: any agent).
ALTER TABLE contact ADD COLUMN callback_call_id text;
ALTER TABLE contact ADD COLUMN callback_agent text;

-- Leases read due numbers per time-zone set, by due time then import order (numbers never dialled
-- are due from their import, so among them that is import order).
DROP INDEX contact_fresh;
DROP INDEX contact_retry;
CREATE INDEX contact_fresh ON contact (campaign_id, zone_set, due_at, number_index) WHERE state = 'queued' AND attempts = 0;
CREATE INDEX contact_retry ON contact (campaign_id, zone_set, due_at, number_index) WHERE state = 'queued' AND attempts > 0;
-- The frequency cap counts the calls to a number across campaigns: those leased, and those made.
CREATE INDEX contact_phone_leased ON contact (phone) WHERE state = 'leased';
ALTER TABLE attempt ADD COLUMN phone text;
UPDATE attempt a SET phone = c.phone FROM contact c WHERE c.campaign_id = a.campaign_id AND c.number_index = a.number_index;
CREATE INDEX attempt_phone ON attempt (phone, dialled_at);

-- The zone sets a campaign's numbers use: a lease reads these, not the contacts, to know which are open.
CREATE TABLE campaign_zone_set (
  campaign_id  text NOT NULL,
  zone_set     integer NOT NULL,
  PRIMARY KEY (campaign_id, zone_set)
);
INSERT INTO campaign_zone_set (campaign_id, zone_set) SELECT DISTINCT campaign_id, zone_set FROM contact;

-- One list for the whole dialer: a number on it is never dialled.
CREATE TABLE dnc (
  phone     text PRIMARY KEY,
  reason    text,
  added_at  timestamptz NOT NULL DEFAULT now()
);
-- GET /dnc pages by time added.
CREATE INDEX dnc_added ON dnc (added_at, phone);

-- What the agent's desktop reported after a call (POST /webhooks/disposition), kept with the attempt.
CREATE TABLE disposition (
  call_id       text PRIMARY KEY,
  campaign_id   text NOT NULL,
  number_index  integer NOT NULL,
  agent_id      text NOT NULL,
  code          text NOT NULL,
  callback_at   timestamptz,
  same_agent    boolean NOT NULL DEFAULT false,
  note          text,
  received_at   timestamptz NOT NULL
);
CREATE INDEX disposition_number ON disposition (campaign_id, number_index);

-- Each time a number was held back, and why: outside its hours (logged once per zone set and closed
-- window: number_index NULL), over the frequency cap, on the do-not-call list.
CREATE TABLE hold (
  id            bigserial PRIMARY KEY,
  campaign_id   text NOT NULL,
  number_index  integer,
  zone_set      integer,
  reason        text NOT NULL CHECK (reason IN ('outside_hours', 'frequency_cap', 'do_not_call')),
  held_at       timestamptz NOT NULL,
  until         timestamptz
);
CREATE INDEX hold_number ON hold (campaign_id, number_index) WHERE number_index IS NOT NULL;
CREATE UNIQUE INDEX hold_window ON hold (campaign_id, zone_set, until) WHERE number_index IS NULL;

-- Down Migration
DROP TABLE hold;
DROP TABLE disposition;
DROP TABLE dnc;
DROP TABLE campaign_zone_set;
DROP INDEX attempt_phone;
ALTER TABLE attempt DROP COLUMN phone;
DROP INDEX contact_phone_leased;
DROP INDEX contact_fresh;
DROP INDEX contact_retry;
CREATE INDEX contact_fresh ON contact (campaign_id, number_index) WHERE state = 'queued' AND attempts = 0;
CREATE INDEX contact_retry ON contact (campaign_id, due_at, number_index) WHERE state = 'queued' AND attempts > 0;
ALTER TABLE contact DROP COLUMN callback_agent;
ALTER TABLE contact DROP COLUMN callback_call_id;
ALTER TABLE contact DROP COLUMN callbacks;
ALTER TABLE contact DROP COLUMN zone_set;
DROP TABLE zone_set;
