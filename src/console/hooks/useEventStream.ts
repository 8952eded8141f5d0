/** A page's live stream: opened on mount (and when the path changes), closed when the page goes. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../api/http';
import { type EventStream, openEventStream, type StreamState } from '../api/eventStream';

export interface StreamCallbacks {
  onEvent(event: string, data: unknown, stream: EventStream): void;
  onRefused?(error: ApiError): void;
}

export function useEventStream(path: string, callbacks: StreamCallbacks): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  // The latest callbacks, so that a re-render does not reopen the stream.
  const latest = useRef(callbacks);
  latest.current = callbacks;
  useEffect(() => {
    const stream: EventStream = openEventStream(path, {
      onEvent: (event, data) => latest.current.onEvent(event, data, stream),
      onState: setState,
      onRefused: (error) => latest.current.onRefused?.(error),
    });
    return () => stream.close();
  }, [path]);
  return state;
}
