/** Entry point of `npx dialer` (through bin/dialer.js) and `node --import tsx src/cli/main.ts`. */
import { runCli } from './program';

const interrupt = new AbortController();
// The first Ctrl-C ends a watch cleanly (bar restored, last progress printed); a second one kills.
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interrupt.signal })
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    // Nothing else should hold the process, but a pending SIGINT listener or keep-alive socket must not.
    process.removeAllListeners('SIGINT');
  });
