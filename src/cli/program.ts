/**
 * The `dialer` command line: commander wiring, output (human or `--json`) and exit codes.
 * Kept apart from main.ts so the process-level bits (exit, signals) stay in one small file.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { OUTCOMES } from '../shared/types';
import {
  ApiRefused,
  ApiUnavailable,
  CALL_RESULT_STATUSES,
  type ControlAction,
  DEFAULT_DIALER_URL,
  DialerClient,
  EXIT,
  Interrupted,
  parseDialerUrl,
  type RejectedRow,
  type ResultsFilter,
  UsageError,
} from './client';
import { formatAdded, formatCreated, formatList, formatProgress, formatResultRow, RESULTS_HEADER, rejectedLines } from './format';
import { exportResults, lineWriter, streamResults } from './results';
import { retryTransient } from './retry';
import { watchCampaign } from './watch';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT: a watch stops and reports where it got to. */
  signal?: AbortSignal;
}

const DEFAULT_INTERVAL_SEC = 1;
const OUTAGE_TOLERANCE_MS = 30_000;
/** `add` waits this long for another addition to the same campaign to finish (`numbers_being_added`). */
const BUSY_TOLERANCE_MS = 30_000;
const BUSY_RETRY_MS = 1000;
/** The API's largest page of `GET /calls`. */
const MAX_PAGE_SIZE = 1000;

/** What the user can do about a refusal, when the API's message does not say it. */
const HINTS: Record<string, string> = {
  unauthorized: 'set API_KEY to the key the API was started with',
  campaign_not_found: '`dialer list` shows the campaigns',
  not_on_list: 'the number is not on the do-not-call list',
  campaign_closed: 'an ended campaign takes no more numbers, pause or resume: start a new one',
  numbers_being_added: `another addition to this campaign was still in progress after ${BUSY_TOLERANCE_MS / 1000} s: try again later`,
  payload_too_large: 'split the file and send the parts one after the other',
  rate_limited: 'too many requests: wait a minute and try again',
};

async function readCsv(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function positiveInt(max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}`);
    }
    return Number(value);
  };
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0.1 || n > 3600) {
    throw new InvalidArgumentError('expected a number of seconds from 0.1 to 3600');
  }
  return n;
}

interface StartOptions {
  id?: string;
  name?: string;
  agents?: string;
  region?: string;
  maxAttempts?: number;
  callingHours?: string;
  callingDays?: string;
  timezone?: string;
}

interface GlobalOptions {
  json?: boolean;
}

/** Runs one command line (without `node` and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const out = (text: string): void => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string): void => void io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  // Set by the action that ran; commander only tells us about parse errors.
  let exitCode: number = EXIT.ok;
  let jsonMode = false;
  // `results --json` prints one object a line, so an error must stay on one line too.
  let jsonLines = false;
  const print = (value: unknown, human: () => string): void => out(jsonMode ? JSON.stringify(value, null, 2) : human());

  // Built lazily so `--help` and usage errors work whatever DIALER_URL holds.
  const client = (): DialerClient => new DialerClient(parseDialerUrl(io.env.DIALER_URL), io.env.API_KEY || undefined);

  const program = new Command('dialer')
    .description('Start, watch and steer outbound call campaigns through the dialer API.')
    .option('--json', 'print machine-readable JSON on stdout (the API reply as is)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .addHelpText(
      'after',
      `
Environment:
  DIALER_URL  base URL of the API (default ${DEFAULT_DIALER_URL})
  API_KEY     sent as "Authorization: Bearer <key>" when set

Exit codes:
  0  success
  1  unexpected failure (a bug: please report it)
  2  usage error: bad arguments or options, unreadable input or unwritable output file, invalid DIALER_URL
  3  the API refused the request (4xx), e.g. campaign_not_found, campaign_closed, invalid_request
  4  the API is unavailable: connection refused, timeout, or a 5xx such as temporal_unavailable
  130 interrupted (Ctrl-C during status --watch, results or add)`,
    );
  program.hook('preAction', (_program, action) => {
    jsonMode = (action.optsWithGlobals<GlobalOptions>().json ?? false) === true;
  });

  program
    .command('start')
    .description('start a campaign from a CSV file with a "phone" column (other columns are kept as contact data)')
    .argument('<file.csv>', 'CSV file to upload')
    .option('--id <campaignId>', 'campaign id (default: generated by the API)')
    .option('--name <name>', 'campaign name')
    .option('--agents <ids>', 'comma-separated agent ids (default: every agent the agent system lists)')
    .option('--region <code>', 'ISO 3166 region for national numbers, e.g. CN')
    .option('--max-attempts <n>', 'attempts per number, 1-10', positiveInt(10))
    .option('--calling-hours <start-end>', "the recipient's local hours, e.g. 09:00-20:00 (default: the API's, 08:00-21:00)")
    .option('--calling-days <days>', 'comma-separated days with --calling-hours, e.g. mon,tue,wed,thu,fri (default: every day)')
    .option('--timezone <zone>', 'IANA time zone of numbers whose own zone is unknown, e.g. Asia/Shanghai')
    .action(async (file: string, opts: StartOptions) => {
      const csv = await readCsv(file);
      const reply = await client().createFromCsv(csv, {
        campaignId: opts.id,
        name: opts.name,
        agentIds: opts.agents,
        defaultRegion: opts.region,
        maxAttempts: opts.maxAttempts === undefined ? undefined : String(opts.maxAttempts),
        // The API validates them and names the field it refuses.
        callingHours: opts.callingHours,
        callingDays: opts.callingDays,
        timeZone: opts.timezone,
      });
      print(reply, () => formatCreated(reply));
    });

  const dnc = program.command('dnc').description('the do-not-call list, one for every campaign');
  dnc
    .command('add')
    .description('put numbers on the do-not-call list')
    .argument('[numbers...]', 'numbers in E.164, or national ones with --region')
    .option('--file <file.csv>', 'a CSV file with a "phone" column instead')
    .option('--reason <text>', 'why, kept with each entry')
    .option('--region <code>', 'ISO 3166 region for national numbers, e.g. CN')
    .action(async (numbers: string[], opts: { file?: string; reason?: string; region?: string }) => {
      if ((opts.file === undefined) === (numbers.length === 0)) throw new UsageError('give numbers, or --file, not both');
      const source = opts.file === undefined ? { list: numbers } : { csv: await readCsv(opts.file) };
      const reply = await client().dncAdd(source, { reason: opts.reason, defaultRegion: opts.region });
      print(reply, () => [`${reply.added} added, ${reply.already} on the list already`, ...rejectedLines(reply.rejected)].join('\n'));
    });
  dnc
    .command('check')
    .description('whether a number is on the do-not-call list (exit 3 with not_on_list if not)')
    .argument('<phone>', 'the number')
    .option('--region <code>', 'ISO 3166 region for a national number')
    .action(async (phone: string, opts: { region?: string }) => {
      const entry = await client().dncCheck(phone, opts.region);
      print(entry, () => `${entry.phone} is on the list since ${entry.addedAt}${entry.reason ? `: ${entry.reason}` : ''}`);
    });
  dnc
    .command('remove')
    .description('take a number off the do-not-call list')
    .argument('<phone>', 'the number')
    .option('--region <code>', 'ISO 3166 region for a national number')
    .action(async (phone: string, opts: { region?: string }) => {
      await client().dncRemove(phone, opts.region);
      print({ removed: phone }, () => `${phone} removed from the do-not-call list`);
    });

  program
    .command('add')
    .description('add the numbers of a CSV file ("phone" column) to a running or paused campaign')
    .argument('<id>', 'campaign id')
    .argument('<file.csv>', 'CSV file to upload; numbers the campaign already has are reported, not dialled again')
    .option('--region <code>', 'ISO 3166 region for national numbers, e.g. CN')
    .action(async (id: string, file: string, opts: { region?: string }) => {
      const csv = await readCsv(file);
      const api = client();
      let told = false;
      const reply = await retryTransient(() => api.addNumbersCsv(id, csv, opts.region), {
        transient: (e) => e instanceof ApiRefused && e.code === 'numbers_being_added',
        retryMs: BUSY_RETRY_MS,
        toleranceMs: BUSY_TOLERANCE_MS,
        signal: io.signal,
        onRetry: () => {
          if (!told) err(`another addition to campaign ${id} is in progress: waiting for it (up to ${BUSY_TOLERANCE_MS / 1000} s)`);
          told = true;
        },
      });
      if (reply === undefined) throw new Interrupted('interrupted: nothing was added');
      print(reply, () => formatAdded(reply));
    });

  program
    .command('list')
    .description('list campaigns, newest first')
    .action(async () => {
      const items = await client().list();
      print(items, () => formatList(items));
    });

  program
    .command('status')
    .description("show a campaign's progress; --watch follows it until it ends")
    .argument('<id>', 'campaign id')
    .option('-w, --watch', 'poll until the campaign ends, with a live progress bar on stderr')
    .option('--interval <sec>', 'seconds between polls with --watch', positiveSeconds, DEFAULT_INTERVAL_SEC)
    .action(async (id: string, opts: { watch?: boolean; interval: number }) => {
      const api = client();
      if (!opts.watch) {
        const p = await api.progress(id);
        print(p, () => formatProgress(p));
        return;
      }
      const p = await watchCampaign(api, id, {
        intervalMs: opts.interval * 1000,
        barStream: io.stderr.isTTY === true ? io.stderr : undefined,
        outageToleranceMs: OUTAGE_TOLERANCE_MS,
        signal: io.signal,
      });
      print(p, () => formatProgress(p));
      if (p.completedAt === null) exitCode = EXIT.interrupted;
    });

  program
    .command('results')
    .description("a campaign's per-number results: a table, NDJSON with --json, or a CSV file with --out")
    .argument('<id>', 'campaign id')
    .option('--out <file.csv>', "write the API's results.csv to this file (replaced only once complete)")
    .addOption(new Option('--status <status>', 'only numbers in this state').choices(CALL_RESULT_STATUSES))
    .addOption(new Option('--outcome <outcome>', 'only numbers whose last attempt ended so').choices(OUTCOMES))
    .option('--page-size <n>', `numbers asked for per request without --out, 1-${MAX_PAGE_SIZE}`, positiveInt(MAX_PAGE_SIZE), MAX_PAGE_SIZE)
    .action(async (id: string, opts: ResultsFilter & { out?: string; pageSize: number }) => {
      const filter: ResultsFilter = { status: opts.status, outcome: opts.outcome };
      if (opts.out !== undefined) {
        const rows = await exportResults(client(), id, filter, opts.out, { signal: io.signal });
        print({ campaignId: id, path: resolve(opts.out), rows }, () => `Wrote ${rows} rows to ${opts.out}`);
        return;
      }
      jsonLines = jsonMode;
      const write = lineWriter(io.stdout);
      let headed = jsonMode;
      const count = await streamResults(
        client(),
        id,
        filter,
        async (call) => {
          if (jsonMode) return write(JSON.stringify(call));
          if (!headed) headed = await write(RESULTS_HEADER);
          return write(formatResultRow(call));
        },
        { pageSize: opts.pageSize, outageToleranceMs: OUTAGE_TOLERANCE_MS, signal: io.signal },
      );
      if (!jsonMode) {
        const filters = Object.entries(filter).flatMap(([k, v]) => (v === undefined ? [] : [`${k} ${v}`]));
        const which = filters.length > 0 ? ` (${filters.join(', ')})` : '';
        await write(count === 0 ? `No numbers${which}.` : `${count} numbers${which}`);
      }
    });

  for (const [action, what] of [
    ['pause', 'stop placing new calls (calls in flight end normally)'],
    ['resume', 'go on dialling after a pause'],
    ['cancel', 'end the campaign once calls in flight have ended'],
  ] as const satisfies ReadonlyArray<readonly [ControlAction, string]>) {
    program
      .command(action)
      .description(what)
      .argument('<id>', 'campaign id')
      .action(async (id: string) => {
        const reply = await client().control(id, action);
        print(reply, () => `Campaign ${id}: ${reply.status}`);
      });
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander printed it
    if (e instanceof UsageError) {
      err(`error: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof Interrupted) {
      err(e.message);
      return EXIT.interrupted;
    }
    if (e instanceof ApiRefused || e instanceof ApiUnavailable) {
      err(`error ${e.code}: ${e.message}`);
      if (e instanceof ApiRefused) for (const line of detailLines(e.details)) err(line);
      if (HINTS[e.code] !== undefined) err(`  hint: ${HINTS[e.code]}`);
      if (jsonMode) out(JSON.stringify({ error: errorJson(e) }, null, jsonLines ? undefined : 2));
      return e instanceof ApiRefused ? EXIT.refused : EXIT.unavailable;
    }
    err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.failure;
  }
}

function errorJson(e: ApiRefused | ApiUnavailable): { code: string; message: string; status: number | null; details: unknown } {
  return e instanceof ApiRefused
    ? { code: e.code, message: e.message, status: e.status, details: e.details }
    : { code: e.code, message: e.message, status: e.status, details: null };
}

/**
 * What the user must fix, from a refusal's details: the failing fields of `invalid_request`, the rows
 * of `no_valid_numbers`, the columns of a CSV without a `phone` one.
 */
function detailLines(details: unknown): string[] {
  if (typeof details !== 'object' || details === null) return [];
  const lines: string[] = [];
  if ('fields' in details && Array.isArray(details.fields)) {
    for (const f of details.fields as unknown[]) {
      if (typeof f === 'object' && f !== null && 'field' in f && 'message' in f) lines.push(`  ${String(f.field)}: ${String(f.message)}`);
    }
  }
  if ('rejected' in details && Array.isArray(details.rejected)) lines.push(...rejectedLines(details.rejected as RejectedRow[]));
  if ('header' in details && Array.isArray(details.header)) {
    lines.push(`  columns found: ${details.header.map((c) => JSON.stringify(c)).join(', ')}`);
  }
  return lines;
}
