-- Up Migration

-- One row per campaign: what the API imported, so that a retried request can finish starting it,
-- and the status the workflow reports, so that GET /campaigns reads no Temporal visibility.
CREATE TABLE campaign (
  campaign_id   text PRIMARY KEY,
  name          text NOT NULL,
  workflow_id   text NOT NULL,
  -- sha256 of the creating request: a retry of the same request may finish what a crash left.
  request_hash  text NOT NULL,
  -- imported: contacts committed, workflow not yet known to be started; then the workflow's own status.
  status        text NOT NULL CHECK (status IN ('imported', 'running', 'paused', 'completed', 'cancelled', 'failed')),
  -- Counts the workflow's status changes: a write that arrives late never undoes a newer one.
  status_version integer NOT NULL DEFAULT 0,
  -- The workflow's start input, kept to start it again from a retried request.
  input         jsonb NOT NULL,
  -- The creating request's reply (accepted, duplicates, rejected), given again to a retry.
  summary       jsonb NOT NULL,
  -- Numbers held, additions included: the next number_index.
  total         integer NOT NULL CHECK (total >= 0),
  -- Names of the imported CSV columns, in order of first appearance.
  columns       text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL,
  completed_at  timestamptz
);
CREATE INDEX campaign_created ON campaign (created_at DESC, campaign_id);

-- Each number of a campaign and its schedule: queued (due at due_at), leased (in the workflow's
-- hopper), or finished. No foreign key to campaign: its check per row would cost a third of a
-- million-number import; contacts are only ever written under their campaign's row, in its transaction.
CREATE TABLE contact (
  campaign_id   text NOT NULL,
  number_index  integer NOT NULL CHECK (number_index >= 0),
  phone         text NOT NULL,
  data          jsonb,
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'leased', 'finished')),
  attempts      smallint NOT NULL DEFAULT 0,
  due_at        timestamptz NOT NULL,
  last_outcome  text,
  -- The lease that took the number into the hopper: a retried lease returns the same rows.
  lease_id      text,
  PRIMARY KEY (campaign_id, number_index)
);
CREATE UNIQUE INDEX contact_phone ON contact (campaign_id, phone);
-- What a lease reads: numbers never dialled in import order, retries by due time.
CREATE INDEX contact_fresh ON contact (campaign_id, number_index) WHERE state = 'queued' AND attempts = 0;
CREATE INDEX contact_retry ON contact (campaign_id, due_at, number_index) WHERE state = 'queued' AND attempts > 0;
CREATE INDEX contact_leased ON contact (campaign_id, lease_id) WHERE state = 'leased';

-- The call detail record: one row per attempt that ended, keyed by its callId (written only for
-- numbers the campaign leased, so no foreign key either).
CREATE TABLE attempt (
  call_id       text PRIMARY KEY,
  campaign_id   text NOT NULL,
  number_index  integer NOT NULL,
  attempt       smallint NOT NULL,
  agent_id      text NOT NULL,
  outcome       text NOT NULL,
  final         boolean NOT NULL,
  talk_sec      integer,
  dialled_at    timestamptz NOT NULL,
  ended_at      timestamptz NOT NULL
);
CREATE INDEX attempt_number ON attempt (campaign_id, number_index, attempt);

-- Down Migration
DROP TABLE attempt;
DROP TABLE contact;
DROP TABLE campaign;
