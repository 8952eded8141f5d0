/** A campaign's status: its colour always comes with its word. */
import type { CampaignStatus } from '../../shared/types';
import { STATUS_WORDS } from '../words';

export function StatusBadge({ status }: { status: CampaignStatus }) {
  return (
    <span class={`badge badge-${status}`} data-testid="status-badge" data-status={status}>
      {STATUS_WORDS[status]}
    </span>
  );
}
