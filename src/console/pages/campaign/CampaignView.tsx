/**
 * One campaign, live from /events/campaigns/:id: its progress, agents and activity as the server
 * sends them (nothing is polled), the controls, more numbers, and the results by number.
 */
import { useState } from 'preact/hooks';
import type { AgentTile, CampaignProgress } from '../../../shared/types';
import type { AgentsEvent, ConsoleConfig, ProblemEvent, TimelineEvent } from '../../api/types';
import { LiveState } from '../../components/LiveState';
import { FormAlert } from '../../components/Messages';
import { StatusBadge } from '../../components/StatusBadge';
import { TemporalLink } from '../../components/TemporalLink';
import { formatDateTime } from '../../format';
import { useEventStream } from '../../hooks/useEventStream';
import { useTitle } from '../../hooks/useTitle';
import { AddNumbers } from './AddNumbers';
import { AgentTiles } from './AgentTiles';
import { Controls } from './Controls';
import { Counts } from './Counts';
import { Results } from './Results';
import { TimelineCharts } from './TimelineCharts';

export function CampaignView({ campaignId, config }: { campaignId: string; config: ConsoleConfig }) {
  const [progress, setProgress] = useState<CampaignProgress | null>(null);
  const [agents, setAgents] = useState<AgentTile[] | null>(null);
  const [timeline, setTimeline] = useState<TimelineEvent | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  useTitle(progress?.name ?? campaignId);

  const live = useEventStream(`/events/campaigns/${encodeURIComponent(campaignId)}`, {
    onEvent(event, data, stream) {
      switch (event) {
        case 'progress':
          setProgress(data as CampaignProgress);
          setProblem(null);
          break;
        case 'agents':
          setAgents((data as AgentsEvent).agents);
          break;
        case 'timeline':
          setTimeline(data as TimelineEvent);
          break;
        case 'problem': {
          const { error } = data as ProblemEvent;
          setProblem(error.message);
          // The server ends the stream; there is nothing to reconnect to.
          if (error.code === 'campaign_not_found') {
            setGone(true);
            stream.close();
          }
          break;
        }
      }
    },
    onRefused(error) {
      setProblem(error.message);
      setGone(error.code === 'campaign_not_found');
    },
  });

  if (gone) {
    return (
      <section aria-labelledby="campaign-title">
        <h1 id="campaign-title">Campaign {campaignId}</h1>
        <FormAlert messages={[problem ?? 'No such campaign.']} />
        <p>
          <a href="#/campaigns">Back to the campaigns</a>
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="campaign-title">
      <div class="page-head">
        <h1 id="campaign-title" data-testid="campaign-name">
          {progress?.name ?? campaignId}
        </h1>
        {progress && <StatusBadge status={progress.status} />}
        <LiveState state={live} />
        {progress && <TemporalLink config={config} workflowId={progress.workflowId} name={progress.name} />}
      </div>
      {progress && (
        <p class="muted subtitle">
          <span class="mono">{progress.campaignId}</span> · started {formatDateTime(progress.createdAt)}
          {progress.completedAt !== null && ` · ended ${formatDateTime(progress.completedAt)}`}
        </p>
      )}
      <FormAlert messages={problem === null ? [] : [problem]} testId="campaign-alert" />
      {progress === null ? (
        <p class="muted">Loading the campaign…</p>
      ) : (
        <>
          <Controls campaignId={campaignId} status={progress.status} onStatus={(status) => setProgress((p) => p && { ...p, status })} />
          <div class="columns">
            <Counts progress={progress} />
            <div class="card-stack">
              <AgentTiles agents={agents} />
              {progress.completedAt === null ? (
                <AddNumbers campaignId={campaignId} />
              ) : (
                <div class="card">
                  <h2>Add numbers</h2>
                  <p class="muted">The campaign has ended: start a new one to dial more numbers.</p>
                </div>
              )}
            </div>
          </div>
          <TimelineCharts timeline={timeline} />
          <Results campaignId={campaignId} endedAt={progress.completedAt} />
        </>
      )}
    </section>
  );
}
