/** Operations routes: liveness, readiness, Prometheus metrics, the OpenAPI document. */
import express, { type RequestHandler, type Router } from 'express';
import { API_PROCESS_PREFIX } from '../metrics/api';
import { collectProcessMetrics, scrape } from '../metrics/registry';
import type { AppDeps } from './app';
import { requireApiKey } from './auth';
import { cachedFor } from './cachedFor';
import { campaignGauges } from './campaignGauges';
import { openApiDocument } from './openapi';
import { managementRateLimit } from './rateLimit';
import { readiness } from './readiness';

const READY_CACHE_MS = 1_000;

export function opsRouter({ config, client, logger }: AppDeps): Router {
  const router = express.Router();
  collectProcessMetrics(API_PROCESS_PREFIX);
  const refreshCampaignGauges = campaignGauges(client, logger);

  // Liveness only: answers while Temporal is down, like every other route that would answer 503.
  const alive: RequestHandler = (_req, res) => {
    res.json({ status: 'ok' });
  };
  router.get('/healthz', alive);
  router.get('/health', alive);

  // No key: orchestrators probe without one. It tells which check failed, never a secret. Probes
  // within a second share one answer, so this open route cannot be used to flood Temporal.
  const ready = cachedFor(READY_CACHE_MS, () => readiness(client, config));
  router.get('/readyz', async (_req, res) => {
    const result = await ready();
    res.status(result.ready ? 200 : 503).json(result.body);
  });

  // Behind the key when there is one, since the agent gauges name campaigns, which GET /campaigns guards.
  router.get('/metrics', managementRateLimit(config, logger), requireApiKey(config.apiKey), async (_req, res) => {
    await refreshCampaignGauges();
    const { contentType, text } = await scrape();
    res.type(contentType).send(text);
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(config.publicBaseUrl));
  });

  return router;
}
