/** HTTP with a per-request timeout, and JSON answers checked against a schema. */
import type { z } from 'zod';

export interface JsonHttp {
  request(url: string, init?: RequestInit): Promise<Response>;
  readJson<T>(response: Response, schema: z.ZodType<T>, what: string): Promise<T>;
}

export function jsonHttp(doFetch: typeof fetch, timeoutMs: number): JsonHttp {
  return {
    request(url, init = {}) {
      return doFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    },
    async readJson(response, schema, what) {
      const parsed = schema.safeParse(await response.json().catch(() => undefined));
      // A malformed answer may be a passing fault of the peer: let Temporal retry.
      if (!parsed.success) throw new Error(`${what}: unexpected response body (${parsed.error.issues[0]?.message})`);
      return parsed.data;
    },
  };
}
