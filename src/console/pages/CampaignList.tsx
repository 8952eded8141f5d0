/** Every campaign (the newest 200), live from /events/campaigns, with a status filter. */
import { useState } from 'preact/hooks';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../../shared/types';
import type { ApiError } from '../api/http';
import type { CampaignRow, ConsoleConfig, ProblemEvent } from '../api/types';
import { LiveState } from '../components/LiveState';
import { FormAlert } from '../components/Messages';
import { ProgressBar } from '../components/ProgressBar';
import { StatusBadge } from '../components/StatusBadge';
import { TemporalLink } from '../components/TemporalLink';
import { formatCount, formatDateTime, formatShare } from '../format';
import { useEventStream } from '../hooks/useEventStream';
import { useTitle } from '../hooks/useTitle';
import { campaignHref } from '../router';
import { STATUS_WORDS } from '../words';

type Filter = 'all' | CampaignStatus;

export function CampaignList({ config }: { config: ConsoleConfig }) {
  useTitle('Campaigns');
  const [campaigns, setCampaigns] = useState<CampaignRow[] | null>(null);
  const [refused, setRefused] = useState<ApiError | null>(null);
  // A failed read on the server's side (Temporal or the database down): the stream goes on.
  const [problem, setProblem] = useState<string | null>(null);
  const [filter, setFilter] = useState<Filter>('all');
  const live = useEventStream('/events/campaigns', {
    onEvent: (event, data) => {
      if (event === 'campaigns') {
        setCampaigns((data as { campaigns: CampaignRow[] }).campaigns);
        setProblem(null);
      }
      if (event === 'problem') setProblem((data as ProblemEvent).error.message);
    },
    onRefused: setRefused,
  });
  const shown = campaigns?.filter((c) => filter === 'all' || c.status === filter) ?? [];

  return (
    <section aria-labelledby="campaigns-title">
      <div class="page-head">
        <h1 id="campaigns-title">Campaigns</h1>
        <LiveState state={live} />
        <a class="button" href="#/new-campaign" data-testid="new-campaign">
          New campaign
        </a>
      </div>
      <FormAlert messages={[refused?.message ?? problem].filter((m): m is string => m !== null)} />
      <div class="toolbar">
        <label for="status-filter">Show</label>
        <select id="status-filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value as Filter)}>
          <option value="all">All campaigns</option>
          {CAMPAIGN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_WORDS[s]}
            </option>
          ))}
        </select>
        {campaigns && (
          <span class="muted" data-testid="campaign-count">
            {formatCount(shown.length)} of {formatCount(campaigns.length)} campaigns
          </span>
        )}
      </div>
      {campaigns === null ? (
        <p class="muted">Loading campaigns…</p>
      ) : shown.length === 0 ? (
        <p class="empty">{campaigns.length === 0 ? 'No campaigns yet. Start one with “New campaign”.' : 'No campaign has this status.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="campaigns-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col" class="num">Answer rate</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">
                  <span class="sr-only">Temporal UI</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((c) => (
                <tr key={c.campaignId} data-testid="campaign-row" data-campaign-id={c.campaignId}>
                  <td>
                    <a href={campaignHref(c.campaignId)}>{c.name}</a>
                    {c.name !== c.campaignId && <div class="muted small mono">{c.campaignId}</div>}
                  </td>
                  <td>
                    <StatusBadge status={c.status} />
                  </td>
                  <td class="progress-cell">
                    <ProgressBar done={c.finished} total={c.total} label={`Progress of ${c.name}`} />
                  </td>
                  <td class="num">{formatShare(c.answerRate)}</td>
                  <td>{formatDateTime(c.createdAt)}</td>
                  <td>{formatDateTime(c.completedAt)}</td>
                  <td>
                    <TemporalLink config={config} workflowId={c.workflowId} name={c.name} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
