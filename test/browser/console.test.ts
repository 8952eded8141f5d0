/**
 * The console in a real browser (Debian's chromium, driven by playwright-core; nothing is
 * downloaded) against the real dialer in this process: API with a key, worker, PostgreSQL and the
 * simulator. One supervisor's session from sign-in to the do-not-call list; every figure the page
 * shows is checked against the API's own answer.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Download, type Locator, type Page } from 'playwright-core';
import { buildConsole } from '../../src/console/build';
import { type CampaignProgress, OUTCOMES } from '../../src/shared/types';
import { type InProcessDialer, startInProcessDialer, testNumbers } from '../support/inProcessDialer';
import { eventually } from '../support/eventually';
import { checkAccessibleNames } from './accessibleNames';

const API_KEY = 'console-test-key';
const TEMPORAL_UI = 'http://temporal-ui.test:8233';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/console');
const DOCS_SCREENSHOT = path.resolve(__dirname, '../../docs/console.png');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// The campaign's file: 48 numbers (the first row's name quoted, with a comma), then one that is no
// number, one on the do-not-call list, a repeat, and a national number (refused until a region is set).
const NUMBERS = testNumbers(48);
const LISTED = '+8613955550000';
const NATIONAL = '13920000000';
const CSV = [
  'phone,name',
  ...NUMBERS.map((n, i) => (i === 0 ? `${n},"Customer, ${i}"` : `${n},Customer ${i}`)),
  'not-a-number,Nobody',
  `${LISTED},Listed`,
  `${NUMBERS[1]},Again`,
  `${NATIONAL},National`,
].join('\n');

let dialer: InProcessDialer;
let browser: Browser;
let page: Page;
let consoleDir: string;
let campaignId: string;

/** The API with the key, as a script would call it. */
function api(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${dialer.apiUrl}${pathname}`, { ...init, headers: { authorization: `Bearer ${API_KEY}`, ...init.headers } });
}

async function apiJson<T>(pathname: string, init?: RequestInit): Promise<T> {
  return (await api(pathname, init)).json() as Promise<T>;
}

const postCsv = (pathname: string, body: string) => api(pathname, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });

interface ErrorReply {
  error: { code: string; message: string; details: { fields?: Array<{ field: string; message: string }> } | null };
}

/** The message the API gives for a field, asked directly. */
async function apiFieldMessage(reply: Response, field: string): Promise<string> {
  const body = (await reply.json()) as ErrorReply;
  const problem = body.error.details?.fields?.find((f) => f.field === field);
  if (!problem) throw new Error(`the API named no ${field}: ${JSON.stringify(body)}`);
  return problem.message;
}

/** What describes an input (its messages and hint), as a screen reader reads it after the label. */
async function descriptionOf(selector: string): Promise<string> {
  const ids = ((await page.locator(selector).getAttribute('aria-describedby')) ?? '').split(' ').filter((id) => id !== '');
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

const countOf = async (testId: string): Promise<number> =>
  Number(((await page.getByTestId(testId).textContent()) ?? '').replace(/[^\d]/g, ''));

async function attributes(locator: Locator, name: string): Promise<Array<string | null>> {
  return Promise.all((await locator.all()).map((element) => element.getAttribute(name)));
}

const focusedTestId = (): Promise<string | null> => page.evaluate<string | null>("document.activeElement?.getAttribute('data-testid') ?? null");

async function expectAllNamed(): Promise<void> {
  const { checked, unnamed } = await checkAccessibleNames(page);
  expect(unnamed).toEqual([]);
  expect(checked).toBeGreaterThan(0);
}

async function screenshot(name: string, options: { fullPage?: boolean; height?: number } = {}): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({
    path: file,
    fullPage: options.fullPage ?? true,
    ...(options.height === undefined ? {} : { clip: { x: 0, y: 0, width: 1280, height: options.height } }),
  });
  return file;
}

async function readDownload(download: Download): Promise<string> {
  return readFile(await download.path(), 'utf8');
}

const openSection = (label: string) => page.locator('nav[aria-label="Sections"] a', { hasText: label }).click();

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  consoleDir = await buildConsole(await mkdtemp(path.join(os.tmpdir(), 'console-')));
  // 4 agents, 50 numbers: some 20 seconds of calls, long enough to pause and resume midway.
  dialer = await startInProcessDialer({ env: { API_KEY, CONSOLE_DIR: consoleDir, TEMPORAL_UI_URL: TEMPORAL_UI }, simulator: { agents: 4, timeScale: 0.03 } });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC' });
  page.setDefaultTimeout(20_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await dialer?.stop();
  if (consoleDir) await rm(consoleDir, { recursive: true, force: true });
});

describe('the console', () => {
  it('asks for the API key, refuses a wrong one with the API’s message, and signs in with the right one', async () => {
    await page.goto(`${dialer.apiUrl}/`);
    await page.locator('#api-key').waitFor();
    await expectAllNamed();
    await page.fill('#api-key', 'wrong-key');
    await page.click('button[type=submit]');
    const refusal = (await (await api('/dnc', { headers: { authorization: 'Bearer wrong-key' } })).json()) as ErrorReply;
    await page.getByTestId('form-alert').filter({ hasText: refusal.error.message }).waitFor();
    await screenshot('sign-in');
    await page.fill('#api-key', API_KEY);
    await page.click('button[type=submit]');
    await page.locator('nav[aria-label="Sections"]').waitFor();
  });

  it('previews a CSV: its first rows, and the numbers the server would refuse, with why', async () => {
    await api('/dnc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ numbers: [LISTED] }) });
    await openSection('New campaign');
    await expectAllNamed();
    await page.setInputFiles('#csv-file', { name: 'numbers.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });

    const preview = page.getByTestId('preview-row');
    await preview.nth(4).waitFor();
    expect(await preview.count()).toBe(5);
    expect(await preview.first().locator('td').allTextContents()).toEqual([NUMBERS[0], 'Customer, 0']);

    await page.getByTestId('dry-run').waitFor();
    const shownRejections = async () =>
      Promise.all(
        (await page.getByTestId('rejected-row').all()).map(async (row) => [await row.getAttribute('data-reason'), ...(await row.locator('td').allTextContents())]),
      );
    const dryRun = (await (await postCsv('/campaigns?dryRun=true', CSV)).json()) as { accepted: number; duplicates: number; rejected: Array<{ index: number; value: string; reason: string }> };
    expect(dryRun.rejected.map((r) => r.reason)).toEqual(['not_a_number', 'do_not_call', 'missing_region']);
    expect(await countOf('dry-accepted')).toBe(dryRun.accepted);
    expect(await countOf('dry-duplicates')).toBe(dryRun.duplicates);
    expect(await shownRejections()).toEqual([
      ['not_a_number', String(dryRun.rejected[0]!.index + 1), 'not-a-number', 'not a phone number'],
      ['do_not_call', String(dryRun.rejected[1]!.index + 1), LISTED, 'on the do-not-call list'],
      ['missing_region', String(dryRun.rejected[2]!.index + 1), NATIONAL, 'no country code (set a default region)'],
    ]);

    // A default region decides the national number: the preview is checked again.
    await page.fill('#default-region', 'CN');
    await page.getByTestId('dry-accepted').filter({ hasText: String(dryRun.accepted + 1) }).waitFor();
    expect((await shownRejections()).map((r) => r[0])).toEqual(['not_a_number', 'do_not_call']);
    // A dry run changes nothing.
    expect(await apiJson('/campaigns')).toEqual([]);
    await screenshot('new-campaign');
  });

  it('shows the API’s message beside each field it refuses, then starts the campaign', async () => {
    await page.fill('#max-attempts', '0');
    await page.click('[data-testid=start-campaign]');
    await page.locator('#max-attempts[aria-invalid=true]').waitFor();
    const attemptsMessage = await apiFieldMessage(await postCsv('/campaigns?maxAttempts=0', CSV), 'maxAttempts');
    expect(await descriptionOf('#max-attempts')).toContain(attemptsMessage);

    await page.fill('#max-attempts', '1');
    await page.fill('#hours-start', '09:00');
    await page.fill('#hours-end', '25:00');
    await page.click('[data-testid=start-campaign]');
    await page.locator('#hours-end[aria-invalid=true]').waitFor();
    const hoursMessage = await apiFieldMessage(await postCsv('/campaigns?callingHours=09:00-25:00', CSV), 'callingHours');
    expect(await descriptionOf('#hours-end')).toContain(hoursMessage);
    expect(await descriptionOf('#hours-start')).toContain(hoursMessage);
    expect(await page.locator('#max-attempts').getAttribute('aria-invalid')).toBeNull();

    await page.fill('#hours-start', '');
    await page.fill('#hours-end', '');
    await page.fill('#name', 'Console test');
    await page.click('[data-testid=start-campaign]');
    await page.waitForURL((url) => /^#\/campaigns\/(?!new$)[^/]+$/.test(url.hash));
    campaignId = decodeURIComponent(new URL(page.url()).hash.replace('#/campaigns/', ''));
    const listed = await apiJson<Array<{ campaignId: string; name: string }>>('/campaigns');
    expect(listed).toEqual([expect.objectContaining({ campaignId, name: 'Console test' })]);
  });

  it('pauses after a confirmation, adds numbers (a bad region gets the API’s message), and resumes from the keyboard alone', async () => {
    await page.locator('[data-testid=status-badge][data-status=running]').waitFor();
    await page.getByTestId('agent-tile').nth(3).waitFor();
    expect(await attributes(page.getByTestId('agent-tile'), 'data-agent-id')).toEqual(['a1', 'a2', 'a3', 'a4']);
    const { workflowId } = await apiJson<CampaignProgress>(`/campaigns/${campaignId}`);
    expect(await page.getByTestId('temporal-link').getAttribute('href')).toBe(`${TEMPORAL_UI}/namespaces/default/workflows/${workflowId}`);
    await expectAllNamed();

    await page.click('[data-testid=control-pause]');
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.locator('h2').textContent()).toBe('Pause this campaign?');
    await expectAllNamed();
    await dialog.getByTestId('confirm-button').click();
    await page.locator('[data-testid=status-badge][data-status=paused]').waitFor();
    expect((await apiJson<CampaignProgress>(`/campaigns/${campaignId}`)).status).toBe('paused');

    await page.fill('#add-numbers-text', '13930000000');
    await page.fill('#add-numbers-region', 'XX');
    await page.click('[data-testid=add-numbers-submit]');
    await page.locator('#add-numbers-region[aria-invalid=true]').waitFor();
    const regionReply = await api(`/campaigns/${campaignId}/numbers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ numbers: ['13930000000'], defaultRegion: 'XX' }),
    });
    expect(await descriptionOf('#add-numbers-region')).toContain(await apiFieldMessage(regionReply, 'defaultRegion'));
    await page.fill('#add-numbers-region', 'CN');
    await page.click('[data-testid=add-numbers-submit]');
    await page.getByTestId('add-numbers-status').filter({ hasText: 'Added 1' }).waitFor();
    expect((await apiJson<CampaignProgress>(`/campaigns/${campaignId}`)).total).toBe(NUMBERS.length + 2);

    // Resume with Tab, Enter and Space only: the dialog opens on its safe choice.
    for (let i = 0; i < 60 && (await focusedTestId()) !== 'control-resume'; i++) await page.keyboard.press('Tab');
    expect(await focusedTestId()).toBe('control-resume');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    expect(await page.evaluate<string | null>('document.activeElement?.textContent ?? null')).toBe('Go back');
    await page.keyboard.press('Tab');
    expect(await focusedTestId()).toBe('confirm-button');
    await page.keyboard.press('Space');
    await page.locator('[data-testid=status-badge][data-status=running]').waitFor();
    expect((await apiJson<CampaignProgress>(`/campaigns/${campaignId}`)).status).toBe('running');

    // Halfway, for a picture of calls under way.
    expect(await eventually(() => countOf('count-finished'), (n) => n >= 25, 30_000)).toBeGreaterThanOrEqual(25);
    await page.locator('[data-testid=chart-calls] canvas').waitFor();
    await screenshot('campaign-running', { height: 1250 });
  }, 60_000);

  it('counts to the end, equal to GET /campaigns/:id, with every number in the results', async () => {
    await page.locator('[data-testid=status-badge][data-status=completed]').waitFor({ timeout: 60_000 });
    const progress = await apiJson<CampaignProgress>(`/campaigns/${campaignId}`);
    expect(progress.completedAt).not.toBeNull();
    expect(progress.finished).toBe(NUMBERS.length + 2);
    const shown = {
      total: await countOf('count-total'),
      pending: await countOf('count-pending'),
      inFlight: await countOf('count-in-flight'),
      finished: await countOf('count-finished'),
      outcomes: Object.fromEntries(await Promise.all(OUTCOMES.map(async (o) => [o, await countOf(`outcome-${o}`)]))),
    };
    const { total, pending, inFlight, finished, outcomes } = progress;
    expect(shown).toEqual({ total, pending, inFlight, finished, outcomes });
    expect(Number(await page.getByTestId('progress').getAttribute('aria-valuenow'))).toBe(finished);

    // The page is read again when the campaign ends: one page of 50 holds every number.
    const calls = await apiJson<{ calls: Array<{ number: string }> }>(`/campaigns/${campaignId}/calls?limit=50`);
    const statuses = await eventually(
      () => page.locator('[data-testid=result-row] td:nth-child(2)').allTextContents(),
      (shown) => shown.length === calls.calls.length && shown.every((s) => s === 'Done'),
    );
    expect(new Set(statuses)).toEqual(new Set(['Done']));
    expect(await attributes(page.getByTestId('result-row'), 'data-number')).toEqual(calls.calls.map((c) => c.number));
    // The charts fill in as ended attempts are written (within seconds): the picture is taken at the end.
    const live = await screenshot('campaign', { height: 1250 });
    if (process.env.UPDATE_CONSOLE_SCREENSHOT === '1') await copyFile(live, DOCS_SCREENSHOT);
    await screenshot('campaign-full');
  }, 70_000);

  it('exports the results through the button, equal to results.csv (also filtered), and looks a number up', async () => {
    const exported = async (): Promise<Download> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
      return download;
    };
    const all = await exported();
    expect(all.suggestedFilename()).toBe(`${campaignId}-results.csv`);
    const direct = await (await api(`/campaigns/${campaignId}/results.csv`)).text();
    expect(await readDownload(all)).toBe(direct);
    expect(direct.trim().split('\n')).toHaveLength(NUMBERS.length + 3);

    await page.selectOption('#results-outcome', 'answered');
    const answered = await readDownload(await exported());
    expect(answered).toBe(await (await api(`/campaigns/${campaignId}/results.csv?outcome=answered`)).text());
    const { outcomes } = await apiJson<CampaignProgress>(`/campaigns/${campaignId}`);
    expect(answered.trim().split('\n')).toHaveLength(outcomes.answered + 1);

    await page.fill('#number-search', NUMBERS[3]!);
    await page.click('.number-search button[type=submit]');
    await page.getByTestId('number-audit').filter({ hasText: NUMBERS[3]! }).waitFor();
    const unknown = '+8613977770000';
    const missing = (await (await api(`/campaigns/${campaignId}/numbers/${encodeURIComponent(unknown)}`)).json()) as ErrorReply;
    await page.fill('#number-search', unknown);
    await page.click('.number-search button[type=submit]');
    await page.getByTestId('number-search-status').filter({ hasText: missing.error.message }).waitFor();
  });

  it('lists the campaign live, with its status filter', async () => {
    await openSection('Campaigns');
    const row = page.locator(`[data-testid=campaign-row][data-campaign-id="${campaignId}"]`);
    await row.waitFor();
    const { finished, outcomes, workflowId } = await apiJson<CampaignProgress>(`/campaigns/${campaignId}`);
    expect(await row.getByTestId('status-badge').getAttribute('data-status')).toBe('completed');
    expect(await row.getByTestId('temporal-link').getAttribute('href')).toBe(`${TEMPORAL_UI}/namespaces/default/workflows/${workflowId}`);
    expect(Number(await row.getByRole('progressbar').getAttribute('aria-valuenow'))).toBe(finished);
    const rate = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 }).format(outcomes.answered / finished);
    expect(await row.locator('td').nth(3).textContent()).toBe(rate);
    await expectAllNamed();
    await screenshot('campaigns');

    await page.selectOption('#status-filter', 'running');
    await row.waitFor({ state: 'detached' });
    await page.selectOption('#status-filter', 'completed');
    await row.waitFor();
  });

  it('keeps the do-not-call list: the API’s message for a bad number, add, look up, remove', async () => {
    await openSection('Do-not-call list');
    await page.getByTestId('dnc-table').waitFor();
    await expectAllNamed();

    const refused = (await apiJson<{ rejected: Array<{ reason: string }> }>('/dnc', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ numbers: ['not-a-number'] }),
    })).rejected;
    expect(refused.map((r) => r.reason)).toEqual(['not_a_number']);
    await page.fill('#dnc-phone', 'not-a-number');
    await page.click('[data-testid=dnc-add-submit]');
    await page.locator('#dnc-phone[aria-invalid=true]').waitFor();
    expect(await descriptionOf('#dnc-phone')).toContain('not a phone number');

    const phone = '+8613988880000';
    await page.fill('#dnc-phone', phone);
    await page.fill('#dnc-reason', 'asked not to be called');
    await page.click('[data-testid=dnc-add-submit]');
    const row = page.locator(`[data-testid=dnc-row][data-phone="${phone}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('asked not to be called');
    const entry = await api(`/dnc/${encodeURIComponent(phone)}`);
    expect(entry.status).toBe(200);
    expect(await entry.json()).toEqual(expect.objectContaining({ phone, reason: 'asked not to be called' }));

    await page.fill('#dnc-lookup', phone);
    await page.click('.inline-form button[type=submit]');
    await page.getByTestId('dnc-lookup-result').filter({ hasText: 'is on the list' }).waitFor();
    await screenshot('dnc');

    await row.getByRole('button', { name: `Remove ${phone} from the list` }).click();
    await page.locator('dialog[open]').getByTestId('confirm-button').click();
    await row.waitFor({ state: 'detached' });
    const gone = await api(`/dnc/${encodeURIComponent(phone)}`);
    expect(gone.status).toBe(404);
    // The lookup shown is asked again: now it says what the API says.
    await page.getByTestId('dnc-lookup-result').filter({ hasText: ((await gone.json()) as ErrorReply).error.message }).waitFor();
  });
});
