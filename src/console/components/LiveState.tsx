/** Whether the page's live updates are flowing, in words. */
import type { StreamState } from '../api/eventStream';

const WORDS: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost, reconnecting…',
  stopped: 'Live updates stopped',
};

export function LiveState({ state }: { state: StreamState }) {
  return (
    <span class={`live live-${state}`} data-testid="live-state" data-state={state}>
      {WORDS[state]}
    </span>
  );
}
