/**
 * Reads until `done` holds or the time is up, and returns the last value read: the caller asserts
 * on it, so a timeout fails with the value that fell short.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > giveUp) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
