/** Timers in simulated seconds, all tracked so that stop() leaves nothing behind. */

export class SimClock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly timeScale: number) {}

  /** Runs `fn` after `simSec` simulated seconds (never, once stopped). */
  after(simSec: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, simSec * 1000 * this.timeScale),
    );
    this.timers.add(timer);
  }

  get pending(): number {
    return this.timers.size;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
