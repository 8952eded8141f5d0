/** Where the campaign stands: the bar, the counts, the outcomes, and what is waiting and until when. */
import { type CampaignProgress, OUTCOMES } from '../../../shared/types';
import { ProgressBar } from '../../components/ProgressBar';
import { formatCount, formatWhen } from '../../format';
import { OUTCOME_WORDS } from '../../words';

function Stat({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{formatCount(value)}</dd>
    </div>
  );
}

export function Counts({ progress }: { progress: CampaignProgress }) {
  const { total, pending, inFlight, finished, outcomes, waiting } = progress;
  const ended = progress.completedAt !== null;
  return (
    <div class="card">
      <h2>Progress</h2>
      <ProgressBar done={finished} total={total} label="Numbers done" testId="progress" />
      <dl class="stats">
        <Stat label="Numbers in all" value={total} testId="count-total" />
        <Stat label="Waiting" value={pending} testId="count-pending" />
        <Stat label="On a call now" value={inFlight} testId="count-in-flight" />
        <Stat label="Done" value={finished} testId="count-finished" />
      </dl>
      <h3>How the calls ended</h3>
      <dl class="stats outcomes">
        {OUTCOMES.map((o) => (
          <Stat key={o} label={OUTCOME_WORDS[o]} value={outcomes[o]} testId={`outcome-${o}`} />
        ))}
      </dl>
      {!ended && (
        <>
          <h3>Numbers waiting</h3>
          <dl class="stats">
            <Stat label="Outside calling hours" value={waiting.outsideHours} testId="waiting-outside-hours" />
            <Stat label="Waiting for a retry" value={waiting.retryLater} testId="waiting-retry" />
          </dl>
          {waiting.nextDialAt !== null && (
            <p data-testid="next-dial">Dialling resumes at {formatWhen(waiting.nextDialAt)} (your local time).</p>
          )}
        </>
      )}
    </div>
  );
}
