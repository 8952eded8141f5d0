/** One Server-Sent Events response: named events of JSON data, a heartbeat, and the end of the stream. */
import type { Request, Response } from 'express';

/** A comment line this often keeps proxies and the browser from timing the stream out. */
const HEARTBEAT_MS = 15_000;
/** What the browser waits before it reconnects (the console's own reader honours it too). */
const RECONNECT_MS = 2_000;

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Ends the response (the API stopping, or a feed that has nothing more to say). */
  end(): void;
  /** Called once, whether the client went away or end() was called. */
  onClose(listener: () => void): void;
}

export function openEventStream(req: Request, res: Response): EventStream {
  res.status(200).set({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx and similar proxies would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  // For the request log: the client closing the stream is how it normally ends.
  res.locals.eventStream = true;
  res.flushHeaders();
  res.write(`retry: ${RECONNECT_MS}\n\n`);
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const listeners: Array<() => void> = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const listener of listeners) listener();
  };
  req.on('close', close);
  return {
    send(event, data) {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      close();
      res.end();
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
  };
}
