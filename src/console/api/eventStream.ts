/**
 * One live stream from the API: fetch() with the key, parsed as server-sent events, reconnected
 * with a short backoff when it drops (at least the server's `retry:`), until closed.
 */
import { authHeaders } from './auth';
import { type ApiError, errorOf } from './http';
import { SseParser } from './sse';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface StreamHandlers {
  /** `data` is the message's JSON. */
  onEvent(event: string, data: unknown): void;
  onState(state: StreamState): void;
  /** A refusal that reconnecting would not change (e.g. 401, 404): the stream has stopped. */
  onRefused(error: ApiError): void;
}

export interface EventStream {
  close(): void;
}

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15_000;

/** 4xx answers stay the same on a retry; a timeout or rate limit does not. */
const isFinal = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

export function openEventStream(path: string, handlers: StreamHandlers): EventStream {
  const abort = new AbortController();
  const parser = new SseParser();
  let failures = 0;

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = window.setTimeout(resolve, ms);
      abort.signal.addEventListener(
        'abort',
        () => {
          window.clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });

  /** Reads one connection to its end; false when the stream must not reconnect. */
  async function connection(): Promise<boolean> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
    if (parser.lastEventId !== '') headers['last-event-id'] = parser.lastEventId;
    const res = await fetch(path, { headers, cache: 'no-store', signal: abort.signal });
    if (!res.ok) {
      const error = await errorOf(res);
      if (!isFinal(res.status)) return true;
      handlers.onRefused(error);
      return false;
    }
    if (res.body === null) return true;
    parser.restart();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      for (const message of parser.push(value)) {
        let data: unknown;
        try {
          data = JSON.parse(message.data);
        } catch {
          continue; // not one of the API's events
        }
        failures = 0;
        handlers.onState('live');
        handlers.onEvent(message.event, data);
        if (abort.signal.aborted) return false;
      }
    }
  }

  void (async () => {
    handlers.onState('connecting');
    while (!abort.signal.aborted) {
      let again: boolean;
      try {
        again = await connection();
      } catch {
        // The network dropped, or close() aborted the read.
        again = true;
      }
      if (abort.signal.aborted) return;
      if (!again) {
        handlers.onState('stopped');
        return;
      }
      failures++;
      handlers.onState('reconnecting');
      const base = parser.retryMs ?? FIRST_DELAY_MS;
      await wait(Math.min(base * 2 ** Math.min(failures - 1, 4), Math.max(base, MAX_DELAY_MS)));
    }
  })();

  return { close: () => abort.abort() };
}
