/** Waiting out a passing refusal: an API restart during a watch, another `add` to the same campaign. */

/** Resolves after `ms`, or at once when `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export interface RetryOptions {
  /** The errors worth another try; any other is thrown at once. */
  transient: (err: unknown) => boolean;
  retryMs: number;
  /** How long tries may keep failing, from the first failure, before the last error is thrown. */
  toleranceMs: number;
  /** Set on SIGINT: stop waiting. */
  signal?: AbortSignal;
  /** Told of each transient failure before the wait. */
  onRetry?: (err: unknown) => void;
}

/** `read`'s first success, or undefined when `signal` aborted while waiting for the next try. */
export async function retryTransient<T>(read: () => Promise<T>, options: RetryOptions): Promise<T | undefined> {
  let failingSince: number | undefined;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      failingSince ??= Date.now();
      if (!options.transient(err) || Date.now() - failingSince > options.toleranceMs) throw err;
      options.onRetry?.(err);
    }
    await sleep(options.retryMs, options.signal);
    if (options.signal?.aborted) return undefined;
  }
}
