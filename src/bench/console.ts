/**
 * `npm run bench:console`: how the console's live view holds up on a 100,000-number campaign. Starts
 * the whole stack (embedded dev server and PostgreSQL, simulator, worker, API), imports the numbers,
 * opens the campaign's page in Debian's headless Chromium, lets it dial for a while, and prints one
 * JSON object: time to the first counts, the page's long tasks (main-thread blocking), its DOM size,
 * and how many result rows and chart points it holds.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { loadConfigOrExit } from '../config';
import { buildConsole } from '../console/build';
import { createLogger } from '../logger';
import { startStack } from '../stack';

const NUMBERS = Number(process.env.BENCH_CONSOLE_NUMBERS ?? 100_000);
const AGENTS = 200;
const WATCH_MS = 30_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-console-'));
  // The embedded PostgreSQL may run as another user (as root: postgres): it must reach its data.
  chmodSync(dir, 0o755);
  const consoleDir = await buildConsole(path.join(dir, 'console'));
  const config = { ...loadConfigOrExit({ LOG_LEVEL: 'warn', AGENT_POLL_SEC: '1', CONSOLE_DIR: consoleDir, ...process.env }), port: 0 };
  const stack = await startStack({
    config,
    logger: createLogger('bench-console', config.logLevel),
    dbFilename: path.join(dir, 'temporal.sqlite'),
    postgresDataDir: path.join(dir, 'postgres'),
    uiPort: 0,
    simulator: { agents: AGENTS, timeScale: 0.05, seed: 1 },
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const campaignId = 'bench-console';
    const numbers = Array.from({ length: NUMBERS }, (_, i) => `+86139${String(10_000_000 + i).slice(-8)}`);
    const importStarted = Date.now();
    const created = await fetch(`${stack.apiUrl}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ campaignId, numbers, settings: { defaultRegion: 'CN', callingHours: { start: '00:00', end: '24:00' } } }),
    });
    if (created.status !== 201) throw new Error(`POST /campaigns: ${created.status} ${await created.text()}`);
    const importMs = Date.now() - importStarted;

    // bypassCSP: the measuring scripts are text (the console's CSP has no unsafe-eval); the page itself is unchanged.
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    // Long tasks (over 50 ms on the main thread) from the first script on.
    // Page scripts as text: this file is Node code, without the DOM's types.
    await page.addInitScript({
      content: `window.longTasks = []; new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });`,
    });
    const opened = Date.now();
    await page.goto(`${stack.apiUrl}/#/campaigns/${campaignId}`);
    await page.waitForFunction(`document.querySelector('[data-testid="count-total"]')?.textContent?.replace(/\\D/g, '') === '${NUMBERS}'`);
    const firstCountsMs = Date.now() - opened;
    await page.waitForTimeout(WATCH_MS);
    const figures = (await page.evaluate(`(() => {
      const tasks = window.longTasks;
      const count = (id) => document.querySelectorAll('[data-testid="' + id + '"]').length;
      return {
        longTasks: tasks.length,
        longestTaskMs: Math.round(Math.max(0, ...tasks)),
        blockingMs: Math.round(tasks.reduce((sum, d) => sum + (d - 50), 0)),
        domNodes: document.getElementsByTagName('*').length,
        resultRows: count('result-row'),
        agentTiles: count('agent-tile'),
        finished: Number(document.querySelector('[data-testid="count-finished"]')?.textContent?.replace(/\\D/g, '') ?? 0),
      };
    })()`)) as Record<string, number>;
    await (await fetch(`${stack.apiUrl}/campaigns/${campaignId}/cancel`, { method: 'POST' })).body?.cancel();
    console.log(JSON.stringify({ numbers: NUMBERS, agents: AGENTS, watchedMs: WATCH_MS, importMs, firstCountsMs, ...figures }));
  } finally {
    await browser.close();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:console failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
