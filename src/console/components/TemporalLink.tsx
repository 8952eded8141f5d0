/** The campaign's workflow in the Temporal UI, in a new tab; nothing when the server names no UI. */
import { temporalLink } from '../api/config';
import type { ConsoleConfig } from '../api/types';

export function TemporalLink({ config, workflowId, name }: { config: ConsoleConfig; workflowId: string; name: string }) {
  const href = temporalLink(config, workflowId);
  if (href === null) return null;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" aria-label={`Open ${name} in the Temporal UI (new tab)`} data-testid="temporal-link">
      Temporal UI ↗
    </a>
  );
}
