/**
 * `npx tsx src/temporal/ensure-cli.ts [--allow-missing]`: prints the Temporal CLI's path on stdout, building it with
 * Go when it is missing (progress on stderr). Exit 1 when there is no CLI and Go cannot build it, unless
 * `--allow-missing` (then stdout is empty and the dev server falls back to the SDK's download).
 */
import { findTemporalCli, cliVersion } from './cli';

async function main(): Promise<number> {
  const allowMissing = process.argv.includes('--allow-missing');
  const cli = await findTemporalCli({ build: true });
  if (!cli) {
    process.stderr.write(
      allowMissing
        ? 'no Temporal CLI; the dev server will fall back to the SDK download (needs internet)\n'
        : 'no Temporal CLI: set TEMPORAL_CLI_PATH, put temporal on PATH, or install Go to build it\n',
    );
    return allowMissing ? 0 : 1;
  }
  process.stderr.write(`Temporal CLI: ${(await cliVersion(cli)) ?? 'unknown version'}\n`);
  process.stdout.write(`${cli}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
