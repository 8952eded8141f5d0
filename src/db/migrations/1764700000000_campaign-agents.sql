-- Up Migration

-- The agents a campaign was started with (NULL: every agent the agent system lists), so that the
-- agent-status webhook finds the live campaigns of an agent with one indexed read, not a visibility query.
ALTER TABLE campaign ADD COLUMN agent_ids text[];
UPDATE campaign SET agent_ids = ARRAY(SELECT jsonb_array_elements_text(input -> 'agentIds')) WHERE input ? 'agentIds';
CREATE INDEX campaign_live ON campaign (campaign_id) WHERE status IN ('running', 'paused');

-- Down Migration

DROP INDEX campaign_live;
ALTER TABLE campaign DROP COLUMN agent_ids;
