/**
 * `npm run bench`: starts its own dev server, PostgreSQL, worker process and simulator, runs campaigns
 * through the API, times a list import and the reducer's agent listings, prints a table and, as the
 * last line of stdout, one JSON object of figures. Progress and logs go to stderr. `--sweep` raises the
 * offered call rate until p99 dispatch latency passes the knee.
 */
import { Cleanup } from './cleanup';
import { dumpRun } from './dump';
import { startEnvironment } from './environment';
import { parseBenchArgs, USAGE, UsageError } from './options';
import { importFigures } from './importFigures';
import { agentListingCost } from './reducerFigures';
import { type BenchFigures, figuresOf, printJson, printRun, printScale, printSweep, type ScaleFigures, sweepFigures } from './report';
import { runScenario } from './runScenario';
import { runSweep } from './sweep';

const note = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError || (err instanceof TypeError && 'code' in err))) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  const cleanup = new Cleanup(note);
  cleanup.onSignals();
  try {
    const env = await startEnvironment({
      temporal: options.temporal,
      agentPollSec: options.agentPollSec,
      callSilenceSec: options.callSilenceSec,
      cleanup,
      note,
    });
    // After the campaigns: the import (and the cancel of its million numbers) must not load their run.
    const withScale = async (figures: BenchFigures): Promise<BenchFigures> => {
      const scale: ScaleFigures = {
        reducerListingMs: [1_000, 5_000].map(agentListingCost),
        import: options.importNumbers > 0 ? await importFigures(env, options.importNumbers, env.dir, cleanup, note) : null,
      };
      printScale(scale);
      return { ...figures, ...scale };
    };
    if (options.sweep) {
      const sweep = await runSweep(env, options.scenario, options.sweep, note);
      const figures = sweepFigures(sweep, options);
      printRun(sweep.steps[sweep.steps.length - 1]!, figures);
      printSweep(sweep, figures);
      if (options.dumpFile) await dumpRun(options.dumpFile, sweep.steps);
      printJson(await withScale(figures));
      return sweep.steps.length > 0 ? 0 : 1;
    }
    const run = await runScenario(env, options.scenario, 'run', note);
    const figures = figuresOf(run, options);
    printRun(run, figures);
    if (options.dumpFile) await dumpRun(options.dumpFile, [run]);
    printJson(await withScale(figures));
    return run.completed ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    note(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
