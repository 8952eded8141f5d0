/** `read` at most once per `ttlMs`: callers in between share its answer, so bursts cost Temporal one call. */
export function cachedFor<T>(ttlMs: number, read: () => Promise<T>): () => Promise<T> {
  let cached: { expires: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (cached === undefined || cached.expires <= now) cached = { expires: now + ttlMs, value: read() };
    return cached.value;
  };
}
