/**
 * Everything the bench started, stopped in reverse order exactly once: at the end, on a failure, or on
 * SIGINT/SIGTERM (so Ctrl-C leaves no dev server, worker or temp dir behind).
 */
export class Cleanup {
  private readonly steps: Array<{ name: string; run: () => Promise<void> }> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly note: (line: string) => void) {}

  /** After cleanup began (a signal during start-up), a part that comes up late is stopped at once. */
  add(name: string, run: () => Promise<void>): void {
    if (this.running) {
      void this.running.then(run).catch((err: unknown) => this.note(`cleanup: ${name} failed: ${String(err)}`));
      return;
    }
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step.run().catch((err: unknown) => this.note(`cleanup: ${step.name} failed: ${String(err)}`));
      }
      this.steps.length = 0;
    })();
    return this.running;
  }

  /** The first SIGINT/SIGTERM cleans up and exits 130/143; a second one ends the process at once. */
  onSignals(): void {
    const stop = (signal: NodeJS.Signals, code: number): void => {
      this.note(`${signal}: stopping what the bench started`);
      void this.run().finally(() => process.exit(code));
    };
    process.once('SIGINT', () => stop('SIGINT', 130));
    process.once('SIGTERM', () => stop('SIGTERM', 143));
  }
}
