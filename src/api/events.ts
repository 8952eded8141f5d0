/**
 * The console's live updates, as Server-Sent Events: GET /events/campaigns (the list) and
 * GET /events/campaigns/:id (one campaign). Behind the API key like /campaigns; fetch() streams
 * them with the Authorization header (EventSource cannot send one).
 */
import express, { type Router } from 'express';
import type { AppDeps } from './app';
import { requireApiKey } from './auth';
import { campaignFeedSource } from './campaignFeed';
import { campaignListFeedSource } from './campaignListFeed';
import { ApiError } from './errors';
import { openEventStream } from './eventStream';
import { managementRateLimit } from './rateLimit';
import { isCampaignId } from './schemas';
import { SharedFeeds } from './sharedFeeds';

/** Streams one API process holds open; past it, 503 (each costs a socket, not a poll). */
export const MAX_EVENT_STREAMS = 200;
const CAMPAIGN_POLL_MS = 1_000;
const LIST_POLL_MS = 2_000;
const LIST_KEY = 'list';

export interface EventFeeds {
  router: Router;
  /** Ends every open stream (before the server closes, which would otherwise wait for them). */
  close(): void;
}

export function eventFeeds(deps: AppDeps): EventFeeds {
  const { config, logger } = deps;
  const campaigns = new SharedFeeds<string>({
    name: 'campaign',
    periodMs: CAMPAIGN_POLL_MS,
    sourceFor: (campaignId) => campaignFeedSource(deps, campaignId),
    logger,
  });
  const list = new SharedFeeds<typeof LIST_KEY>({ name: 'campaign-list', periodMs: LIST_POLL_MS, sourceFor: () => campaignListFeedSource(deps), logger });
  const router = express.Router();
  router.use(managementRateLimit(config, logger), requireApiKey(config.apiKey));
  router.use((_req, _res, next) => {
    if (campaigns.streamCount + list.streamCount >= MAX_EVENT_STREAMS) {
      throw new ApiError('too_many_streams', `this API serves at most ${MAX_EVENT_STREAMS} live pages at once; close one, or retry later`);
    }
    next();
  });
  router.get('/campaigns', (req, res) => list.subscribe(LIST_KEY, openEventStream(req, res)));
  router.get('/campaigns/:id', (req, res) => {
    const campaignId = req.params.id;
    if (!isCampaignId(campaignId)) throw new ApiError('campaign_not_found', 'no such campaign');
    campaigns.subscribe(campaignId, openEventStream(req, res));
  });
  return {
    router,
    close: () => {
      campaigns.close();
      list.close();
    },
  };
}
