/**
 * `npm run demo`: `npm start`'s setup, then one campaign from start to end through the real HTTP API,
 * with a progress bar, a summary and the Temporal UI link. Stops everything it started.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { loadConfigOrExit } from './config';
import { createLogger } from './logger';
import type { CampaignProgress } from './shared/types';
import { startStack } from './stack';

const { values: args } = parseArgs({
  options: {
    numbers: { type: 'string', default: '200' },
    agents: { type: 'string', default: '10' },
    'time-scale': { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '42' },
  },
});

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive number\n`);
    process.exit(2);
  }
  return n;
}

/** Distinct, valid Chinese mobile numbers (national format, as call centres often import them). */
function demoNumbers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `138${String(10_000_000 + i * 7919).slice(-8)}`);
}

async function main(): Promise<void> {
  const count = Math.floor(positive('numbers', args.numbers));
  const agents = Math.floor(positive('agents', args.agents));
  const timeScale = positive('time-scale', args['time-scale']);
  // The demo's calls last seconds, not minutes: catch up on lost webhooks at the same pace.
  const config = loadConfigOrExit({ AGENT_POLL_SEC: '1', CALL_SILENCE_SEC: '10', LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger('dialer', config.logLevel);
  const started = Date.now();
  const stack = await startStack({
    config,
    logger,
    dbFilename: path.resolve('.data/temporal.sqlite'),
    postgresDataDir: path.resolve('.data/postgres'),
    uiPort: 8233,
    simulator: { agents, timeScale, seed: Number(args.seed) },
  });
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
    const campaignId = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const created = await fetch(`${stack.apiUrl}/campaigns`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        campaignId,
        name: `Demo: ${count} numbers, ${agents} agents`,
        numbers: demoNumbers(count),
        // The simulator's numbers reach nobody: the demo runs whatever the hour in China.
        settings: { defaultRegion: 'CN', maxAttempts: 1, callingHours: { start: '00:00', end: '24:00' } },
      }),
    });
    const reply = (await created.json()) as { accepted?: number; workflowId?: string; error?: { message: string } };
    if (!created.ok || !reply.workflowId) throw new Error(`POST /campaigns: ${created.status} ${reply.error?.message}`);
    console.log(`Campaign ${campaignId}: ${reply.accepted} numbers accepted, ${agents} simulated agents`);
    console.log(`Console (live while the demo runs): ${stack.apiUrl}/#/campaigns/${campaignId}`);

    const final = await watch(`${stack.apiUrl}/campaigns/${campaignId}`, headers, reply.accepted ?? count);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`\nCampaign ${final.status} in ${seconds} s (setup included)`);
    console.table({ ...final.outcomes, total: final.total, finished: final.finished, pending: final.pending });
    const ui = stack.uiUrl ?? 'http://localhost:8233';
    console.log(`Temporal UI: ${ui}/namespaces/${config.temporal.namespace}/workflows/${reply.workflowId}`);
    console.log(`Console: ${stack.apiUrl}/`);
    console.log('(the embedded server stops with the demo; run `npm start` to keep the console and the UI up)');
  } finally {
    await stack.stop();
  }
}

async function watch(url: string, headers: Record<string, string>, total: number): Promise<CampaignProgress> {
  const bar = new SingleBar({
    format: ' {bar} {value}/{total} finished | answered {answered} | in flight {inFlight} | agents on call {onCall}',
    noTTYOutput: true,
    notTTYSchedule: 5000,
    hideCursor: true,
  });
  bar.start(total, 0, { answered: 0, inFlight: 0, onCall: 0 });
  try {
    for (;;) {
      const res = await fetch(url, { headers });
      if (res.ok) {
        const p = (await res.json()) as CampaignProgress;
        bar.update(p.finished, { answered: p.outcomes.answered, inFlight: p.inFlight, onCall: p.agents.onCall });
        if (p.completedAt !== null) return p;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    bar.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
