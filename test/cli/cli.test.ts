/**
 * The `dialer` CLI as a user runs it: a child process (`node --import tsx src/cli/main.ts`) against the
 * real API, worker and simulator of startInProcessDialer, checking output and exit codes.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CampaignProgress } from '../../src/shared/types';
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
});
