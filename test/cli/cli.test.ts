/**
 * The `dialer` CLI as a user runs it: a child process (`node --import tsx src/cli/main.ts`) against the
 * real API, worker and simulator of startInProcessDialer, checking output and exit codes.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CallResult, NumbersAddedReply } from '../../src/cli/client';
import { runCli } from '../../src/cli/program';
import { type CampaignProgress, OUTCOMES } from '../../src/shared/types';
import { type InProcessDialer, startInProcessDialer, testNumbers } from '../support/inProcessDialer';

const ROOT = resolve(__dirname, '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      // API_KEY cleared: the test API has none, and a developer's own key must not leak in.
      { cwd: ROOT, env: { ...process.env, API_KEY: '', DIALER_URL: dialer.apiUrl, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Parses stdout as NDJSON: one object a line. */
function jsonLines<T>(run: Run): T[] {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Every page of the API's own `GET /calls`, to compare the CLI's output with. */
async function apiCalls(campaignId: string, query = ''): Promise<CallResult[]> {
  const calls: CallResult[] = [];
  for (let cursor: string | null = ''; cursor !== null; ) {
    const res = await dialer.api('GET', `/campaigns/${campaignId}/calls?limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    calls.push(...(res.body.calls as CallResult[]));
    cursor = res.body.nextCursor as string | null;
  }
  return calls;
}

/** Parses stdout as JSON, showing stderr when it is not (the CLI failed). */
function json<T>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

let dialer: InProcessDialer;
let dir: string;

async function csvFile(lines: string[]): Promise<string> {
  const file = join(dir, `${randomBytes(4).toString('hex')}.csv`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** Everything written to a stream, once it ends. */
async function collect(stream: PassThrough): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

const uniqueId = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dialer-cli-'));
  dialer = await startInProcessDialer();
});

afterAll(async () => {
  await dialer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('dialer CLI', () => {
  it('start --json, list --json, status --watch --json until the campaign completes', async () => {
    const id = uniqueId('cli');
    const [a, b] = testNumbers(2, '137');
    const file = await csvFile(['phone,first_name', `${a},Ann`, `${b},Bo`, `${a},Ann again`, 'not-a-number,X']);
    const started = await cli(['start', file, '--json', '--id', id, '--name', 'CLI test', '--max-attempts', '1']);
    expect(started.code).toBe(0);
    expect(json(started)).toMatchObject({
      campaignId: id,
      accepted: 2,
      duplicates: 1,
      rejected: [{ index: 3, value: 'not-a-number', reason: expect.any(String) }],
    });

    const listed = await cli(['list', '--json']);
    expect(listed.code).toBe(0);
    expect(json<Array<{ campaignId: string }>>(listed)).toContainEqual(expect.objectContaining({ campaignId: id, name: 'CLI test' }));

    const watched = await cli(['status', id, '--watch', '--interval', '0.2', '--json']);
    expect(watched.code).toBe(0);
    const final = json<CampaignProgress>(watched);
    expect(final).toMatchObject({ campaignId: id, status: 'completed', total: 2, finished: 2 });
    expect(final.completedAt).not.toBeNull();

    const human = await cli(['status', id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Campaign ${id}: completed`);
    expect(human.stdout).toMatch(/2\/2 finished/);
  });

  it('status --watch on a terminal draws a live bar with counts by outcome and agents by state', async () => {
    const id = uniqueId('cli-bar');
    const numbers = testNumbers(12, '138');
    expect((await dialer.api('POST', '/campaigns', { campaignId: id, numbers, settings: { maxAttempts: 1 } })).status).toBe(201);

    // In process, so stderr can be a terminal: the bar is drawn only there.
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    const [out, drawn] = [collect(stdout), collect(stderr)];
    const env = { DIALER_URL: dialer.apiUrl, API_KEY: '' };
    const code = await runCli(['status', id, '--watch', '--interval', '0.1'], { stdout, stderr, env });
    [stdout, stderr].forEach((s) => s.end());
    expect(code).toBe(0);

    // Frames are separated by escape sequences (cursor moves, line clears).
    const frames = (await drawn).split('\x1b').filter((f) => f.includes('agents:'));
    expect(frames.length).toBeGreaterThan(1);
    const final = await dialer.api('GET', `/campaigns/${id}`);
    const { outcomes, agents } = final.body as CampaignProgress;
    expect(frames[0]).toMatch(new RegExp(`\\d+/12 running \\| ${OUTCOMES.map((o) => `${o} \\d+`).join(', ')} \\| agents: idle \\d+, on call \\d+, busy \\d+, offline \\d+`));
    const last = frames.at(-1)!;
    expect(last).toContain(`12/12 completed | ${OUTCOMES.map((o) => `${o} ${outcomes[o]}`).join(', ')}`);
    expect(last).toContain(`agents: idle ${agents.idle}, on call ${agents.onCall}, busy ${agents.busy}, offline ${agents.offline}`);
    expect(await out).toContain(`Campaign ${id}: completed`);
  });

  it('human start output lists rejected rows; pause/resume; cancel then resume is refused with exit 3', async () => {
    const id = uniqueId('cli');
    // An agent the simulator does not have: nothing is dialled, so the campaign stays open to steer.
    const file = await csvFile(['phone', ...testNumbers(2, '136'), '12']);
    const started = await cli(['start', file, '--id', id, '--agents', 'nobody', '--region', 'CN']);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`Campaign ${id} started`);
    expect(started.stdout).toContain('accepted 2, duplicates 0, rejected 1');
    expect(started.stdout).toMatch(/data row 3: "12" \w+/);

    const paused = await cli(['pause', id, '--json']);
    expect([paused.code, json(paused)]).toEqual([0, { status: 'paused' }]);
    const resumed = await cli(['resume', id]);
    expect([resumed.code, resumed.stdout.trim()]).toEqual([0, `Campaign ${id}: running`]);
    const cancelled = await cli(['cancel', id, '--json']);
    expect(cancelled.code).toBe(0);
    await dialer.waitForEnd(id, 20_000);

    const refused = await cli(['resume', id, '--json']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('error campaign_closed:');
    expect(json(refused)).toMatchObject({ error: { code: 'campaign_closed', status: 409 } });
  });

  it('exit 3 for an unknown campaign or invalid options the API refuses', async () => {
    const unknown = await cli(['status', uniqueId('none')]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error campaign_not_found: /);

    const file = await csvFile(['phone', ...testNumbers(1, '135')]);
    const badRegion = await cli(['start', file, '--region', 'XX']);
    expect(badRegion.code).toBe(3);
    expect(badRegion.stderr).toContain('error invalid_request:');
    expect(badRegion.stderr).toContain('defaultRegion');
  });

  it('start --calling-hours/--calling-days/--timezone sets the calling rules; bad ones are refused naming the field', async () => {
    const id = uniqueId('cli-hours');
    const file = await csvFile(['phone', ...testNumbers(1, '134')]);
    const started = await cli(['start', file, '--json', '--id', id, '--calling-hours', '00:00-24:00', '--calling-days', 'mon,tue,wed,thu,fri,sat,sun', '--timezone', 'Asia/Shanghai']);
    expect(started.code).toBe(0);
    const { rows } = await dialer.pool.query<{ settings: Record<string, unknown> }>("SELECT input -> 'settings' AS settings FROM campaign WHERE campaign_id = $1", [id]);
    expect(rows[0]!.settings).toMatchObject({
      callingHours: { start: '00:00', end: '24:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
      timeZone: 'Asia/Shanghai',
    });
    const bad = await cli(['start', file, '--calling-hours', '25:00-26:00']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('callingHours');
    const zone = await cli(['start', file, '--timezone', 'Mars/Base']);
    expect(zone.code).toBe(3);
    expect(zone.stderr).toContain('timeZone');
  });

  it('dnc add (numbers or --file), check and remove', async () => {
    const [a, b, c, d] = testNumbers(4, '133');
    const added = await cli(['dnc', 'add', a!, b!, '--reason', 'asked', '--json']);
    expect(added.code).toBe(0);
    expect(json(added)).toEqual({ added: 2, already: 0, rejected: [] });
    const file = await csvFile(['phone', b!, c!, 'nope']);
    const fromFile = await cli(['dnc', 'add', '--file', file]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain('1 added, 1 on the list already');
    expect(fromFile.stdout).toContain('nope');
    const checked = await cli(['dnc', 'check', a!]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(new RegExp(`^\\${a} is on the list since .*: asked`));
    expect((await cli(['dnc', 'remove', a!])).code).toBe(0);
    const gone = await cli(['dnc', 'check', a!]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/^error not_on_list: /);
    expect((await cli(['dnc', 'remove', a!])).stderr).toMatch(/^error not_on_list: /);
    // A national number with --region, on add, check and remove alike.
    const national = d!.slice(3);
    expect(json(await cli(['dnc', 'add', national, '--region', 'CN', '--json']))).toEqual({ added: 1, already: 0, rejected: [] });
    expect(json(await cli(['dnc', 'check', national, '--region', 'CN', '--json']))).toEqual({ phone: d, reason: null, addedAt: expect.any(String) });
    expect((await cli(['dnc', 'remove', national, '--region', 'CN'])).code).toBe(0);
    expect((await dialer.pool.query('SELECT 1 FROM dnc WHERE phone = $1', [d])).rowCount).toBe(0);
    const missingRegion = await cli(['dnc', 'add', national]);
    expect(missingRegion.stdout).toContain('missing_region');
    expect((await cli(['dnc', 'add'])).code).toBe(2);
    expect((await cli(['dnc', 'add', a!, '--file', file])).code).toBe(2);
  });

  it('exit 4 when the API cannot be reached', async () => {
    const run = await cli(['list'], { DIALER_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^error unreachable: cannot reach the dialer API .*ECONNREFUSED/);
  });

  it('exit 2 for usage errors, with nothing sent', async () => {
    const cases: string[][] = [['bogus'], ['status'], ['start', join(dir, 'missing.csv')], ['start', 'x.csv', '--max-attempts', '0']];
    for (const args of cases) {
      const run = await cli(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/error/);
    }
    const badUrl = await cli(['list'], { DIALER_URL: 'localhost:3000' });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('DIALER_URL');
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes');
  });

  it('add: numbers added to a running, then a paused campaign are dialled once; numbers it has are reported, not dialled', async () => {
    const id = uniqueId('cli-add');
    const [a, b, c, d, e, f, g] = testNumbers(7, '134');
    // Its one agent is offline: the campaign stays running with nothing dialled until the numbers are in.
    dialer.simulator.setAgentStatus('a1', 'offline');
    try {
      const started = await cli(['start', await csvFile(['phone,name', `${a},Ann`, `${b},Bo`]), '--id', id, '--agents', 'a1', '--json']);
      expect([started.code, json(started)]).toEqual([0, expect.objectContaining({ campaignId: id, accepted: 2 })]);
      expect(json<CampaignProgress>(await cli(['status', id, '--json']))).toMatchObject({ status: 'running', total: 2, finished: 0 });

      const running = await cli(['add', id, await csvFile(['phone,name', `${c},Cy`, `${a},Ann again`, `${c},Cy again`, '12,Bad']), '--json']);
      expect(running.code).toBe(0);
      expect(json<NumbersAddedReply>(running)).toEqual({
        campaignId: id,
        workflowId: expect.any(String),
        accepted: 1,
        duplicates: 1,
        alreadyInCampaign: [{ index: 1, value: a }],
        rejected: [{ index: 3, value: '12', reason: 'missing_region' }],
        total: 3,
      });

      expect((await cli(['pause', id])).code).toBe(0);
      // National numbers with --region, and one the campaign has; the human summary.
      const national = (n: string): string => n.replace('+86', '');
      const paused = await cli(['add', id, await csvFile(['phone', national(d), national(e), b]), '--region', 'CN']);
      expect(paused).toEqual({
        code: 0,
        stdout: [
          `Campaign ${id}: 2 numbers added, 5 in the campaign now`,
          '  accepted 2, duplicates 0, already in the campaign 1 (not dialled again), rejected 0',
          `  data row 3: "${b}" already in the campaign`,
          '',
        ].join('\n'),
        stderr: '',
      });
      // Two additions at once: the second waits for the first (numbers_being_added) rather than failing.
      const both = await Promise.all([cli(['add', id, await csvFile(['phone', f!])]), cli(['add', id, await csvFile(['phone', g!])])]);
      expect(both.map((r) => r.code)).toEqual([0, 0]);
      expect(json<CampaignProgress>(await cli(['status', id, '--json']))).toMatchObject({ status: 'paused', total: 7, finished: 0 });
      expect((await cli(['resume', id])).code).toBe(0);
    } finally {
      dialer.simulator.setAgentStatus('a1', 'idle');
    }
    const watched = await cli(['status', id, '--watch', '--interval', '0.2', '--json']);
    expect(json<CampaignProgress>(watched)).toMatchObject({ status: 'completed', total: 7, finished: 7 });
    // The provider's ledger: each number dialled exactly once, the ones sent twice included.
    const dialled = dialer.simulator
      .ledger()
      .calls.filter((call) => call.campaignId === id)
      .map((call) => call.to);
    expect(dialled.sort()).toEqual([a, b, c, d, e, f, g].sort());

    const closed = await cli(['add', id, await csvFile(['phone', ...testNumbers(1, '133')])]);
    expect(closed.code).toBe(3);
    expect(closed.stderr).toBe(`error campaign_closed: campaign ${id} has ended\n  hint: an ended campaign takes no more numbers, pause or resume: start a new one\n`);
  });

  it('add: a bad file or campaign is a clear error with the exit code scripts expect', async () => {
    const id = uniqueId('cli-add');
    const [number] = testNumbers(1, '132');
    expect((await cli(['start', await csvFile(['phone', number!]), '--id', id, '--agents', 'nobody'])).code).toBe(0);

    const missing = await cli(['add', id, join(dir, 'missing.csv')]);
    expect([missing.code, missing.stderr]).toEqual([2, `error: cannot read ${join(dir, 'missing.csv')}: ENOENT\n`]);

    const noPhone = await cli(['add', id, await csvFile(['tel,name', '13800138000,Ann'])]);
    expect(noPhone.code).toBe(3);
    expect(noPhone.stderr).toBe('error invalid_request: CSV header has no "phone" column\n  columns found: "tel", "name"\n');

    const noneValid = await cli(['add', id, await csvFile(['phone', 'abc', '12']), '--json']);
    expect(noneValid.code).toBe(3);
    expect(noneValid.stderr).toBe(
      'error no_valid_numbers: no number in the request is valid\n  data row 1: "abc" not_a_number\n  data row 2: "12" missing_region\n',
    );
    expect(json(noneValid)).toMatchObject({ error: { code: 'no_valid_numbers', status: 400 } });

    const badRegion = await cli(['add', id, await csvFile(['phone', '13800138000']), '--region', 'XX']);
    expect(badRegion.code).toBe(3);
    expect(badRegion.stderr).toMatch(/^error invalid_request: .*\n {2}defaultRegion: /);

    const unknown = await cli(['add', uniqueId('none'), await csvFile(['phone', number!])]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error campaign_not_found: .*\n {2}hint: `dialer list` shows the campaigns\n$/);

    // Nothing was added, and its one number is still waiting: the status filter finds it.
    expect(jsonLines<CallResult>(await cli(['results', id, '--json', '--status', 'pending']))).toEqual([
      expect.objectContaining({ index: 0, number, status: 'pending', attempts: 0, lastOutcome: null }),
    ]);
    expect((await cli(['results', id, '--json', '--status', 'finished'])).stdout).toBe('');
    expect((await cli(['cancel', id])).code).toBe(0);
  });

  it('results: a table, NDJSON and a CSV file matching the API, with filters', async () => {
    const id = uniqueId('cli-res');
    const numbers = testNumbers(8, '131');
    const file = await csvFile(['phone,name,city', ...numbers.map((n, i) => `${n},Client ${i},"North, ${i % 2}"`)]);
    expect((await cli(['start', file, '--id', id])).code).toBe(0);
    const final = json<CampaignProgress>(await cli(['status', id, '--watch', '--interval', '0.2', '--json']));
    expect(final).toMatchObject({ status: 'completed', finished: 8 });
    const api = await apiCalls(id);

    // NDJSON: the API's calls, one a line, whatever the page size; checked against the provider's ledger too.
    const lines = jsonLines<CallResult>(await cli(['results', id, '--json']));
    expect(lines).toEqual(api);
    expect(jsonLines<CallResult>(await cli(['results', id, '--json', '--page-size', '3']))).toEqual(api);
    const placed = dialer.simulator.ledger().calls.filter((call) => call.campaignId === id);
    lines.forEach((line, i) => {
      const attempts = placed.filter((call) => call.to === numbers[i]).sort((x, y) => x.placedAt - y.placedAt);
      const last = attempts[attempts.length - 1]!;
      expect(line).toMatchObject({
        index: i,
        number: numbers[i],
        status: 'finished',
        attempts: attempts.length,
        lastOutcome: last.outcome === 'completed' ? 'answered' : last.outcome,
        agentId: last.agentId,
        contact: { name: `Client ${i}`, city: `North, ${i % 2}` },
      });
    });

    const table = await cli(['results', id, '--page-size', '3']);
    expect(table.code).toBe(0);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^NUMBER +STATUS +ATTEMPTS +OUTCOME +TALK +LAST DIALLED +AGENT$/);
    expect(rows.slice(1, -1)).toEqual(
      api.map((call) =>
        expect.stringMatching(
          new RegExp(`^\\${call.number} +finished +${call.attempts} +${call.lastOutcome} +(\\d+s|-) +\\S+Z +${call.agentId}$`),
        ),
      ),
    );
    expect(rows[rows.length - 1]).toBe('8 numbers');

    // --out: the API's results.csv as is, extra columns included, and no temporary file left.
    const out = join(dir, `${id}.csv`);
    const written = await cli(['results', id, '--out', out]);
    expect([written.code, written.stdout]).toEqual([0, `Wrote 8 rows to ${out}\n`]);
    const csv = await readFile(out, 'utf8');
    expect(csv).toBe(await (await fetch(`${dialer.apiUrl}/campaigns/${id}/results.csv`)).text());
    expect(csv.split('\n')[0]).toBe('phone,status,attempts,last_outcome,agent_id,talk_sec,disposition,first_dialled_at,last_dialled_at,ended_at,name,city');
    expect(csv).toContain(`${numbers[1]},finished,`);
    expect(csv).toContain(',Client 1,"North, 1"');
    expect((await readdir(dir)).filter((name) => name.endsWith('.part'))).toEqual([]);
    expect(json(await cli(['results', id, '--out', out, '--json']))).toEqual({ campaignId: id, path: out, rows: 8 });

    // Filters, checked against the campaign's own outcome counts.
    for (const outcome of OUTCOMES) {
      const only = jsonLines<CallResult>(await cli(['results', id, '--json', '--outcome', outcome, '--page-size', '2']));
      expect(only).toEqual(api.filter((call) => call.lastOutcome === outcome));
      expect(only).toHaveLength(final.outcomes[outcome]);
      const filtered = join(dir, `${id}-${outcome}.csv`);
      const run = await cli(['results', id, '--outcome', outcome, '--out', filtered, '--json']);
      expect(json(run)).toEqual({ campaignId: id, path: filtered, rows: final.outcomes[outcome] });
      expect(await readFile(filtered, 'utf8')).toBe(
        await (await fetch(`${dialer.apiUrl}/campaigns/${id}/results.csv?outcome=${outcome}`)).text(),
      );
    }
    expect(jsonLines<CallResult>(await cli(['results', id, '--json', '--status', 'finished']))).toEqual(api);
    const pending = await cli(['results', id, '--status', 'pending']);
    expect([pending.code, pending.stdout]).toEqual([0, 'No numbers (status pending).\n']);
  });

  it('results: usage errors before any request, refusals with exit 3 and no file left', async () => {
    const cases: string[][] = [
      ['results'],
      ['results', 'x', '--status', 'done'],
      ['results', 'x', '--outcome', 'maybe'],
      ['results', 'x', '--page-size', '0'],
      ['results', 'x', '--out', join(dir, 'no-such-dir', 'out.csv')],
    ];
    for (const args of cases) {
      // An API that cannot be reached: a usage error must come before any request (else exit 4).
      const run = await cli(args, { DIALER_URL: `http://127.0.0.1:${await closedPort()}` });
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/^error/);
    }
    const badChoice = await cli(['results', 'x', '--status', 'done']);
    expect(badChoice.stderr).toContain('Allowed choices are pending, in-flight, finished');

    const out = join(dir, 'unknown.csv');
    const unknown = await cli(['results', uniqueId('none'), '--out', out]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error campaign_not_found: /);
    expect((await readdir(dir)).filter((name) => name.startsWith('.unknown.csv') || name === 'unknown.csv')).toEqual([]);
    const unknownJson = await cli(['results', uniqueId('none'), '--json']);
    expect(unknownJson.code).toBe(3);
    // NDJSON mode: the error is one line too.
    expect(unknownJson.stdout).toMatch(/^\{"error":\{"code":"campaign_not_found",.*\}\}\n$/);
  });
});
