/** What the server's dry run of the import found: how many numbers would be dialled, and which not and why. */
import type { DryRunReply, RejectedNumber } from '../../api/types';
import { Status } from '../../components/Messages';
import { RejectedTable } from '../../components/RejectedTable';
import { formatCount } from '../../format';

export type DryRun =
  | { state: 'none' }
  | { state: 'checking' }
  /** `rejected`: every number, when none of them is valid. */
  | { state: 'failed'; rejected: RejectedNumber[] }
  | { state: 'done'; reply: DryRunReply };

function summaryOf(dryRun: DryRun): string | null {
  switch (dryRun.state) {
    case 'none':
      return null;
    case 'checking':
      return 'Checking the numbers…';
    case 'failed':
      return 'The numbers could not be checked yet: see the messages at the top of the form and beside the fields.';
    case 'done': {
      const { accepted, duplicates, rejected } = dryRun.reply;
      return `${formatCount(accepted)} numbers will be dialled, ${formatCount(rejected.length)} refused, ${formatCount(duplicates)} repeated.`;
    }
  }
}

export function DryRunResult({ dryRun }: { dryRun: DryRun }) {
  return (
    <>
      <Status testId="dry-run-status">
        <p class="muted">{summaryOf(dryRun)}</p>
      </Status>
      {dryRun.state === 'failed' && <RejectedTable rejected={dryRun.rejected} caption="Numbers that would be refused" />}
      {dryRun.state === 'done' && (
        <div data-testid="dry-run">
          <dl class="stats">
            <div>
              <dt>Will be dialled</dt>
              <dd data-testid="dry-accepted">{formatCount(dryRun.reply.accepted)}</dd>
            </div>
            <div>
              <dt>Repeated numbers (dialled once)</dt>
              <dd data-testid="dry-duplicates">{formatCount(dryRun.reply.duplicates)}</dd>
            </div>
            <div>
              <dt>Refused</dt>
              <dd data-testid="dry-rejected">{formatCount(dryRun.reply.rejected.length)}</dd>
            </div>
          </dl>
          <RejectedTable rejected={dryRun.reply.rejected} caption="Numbers that would be refused" />
          {dryRun.reply.rejected.length > 0 && <p class="hint">Rows are counted from the first row after the header.</p>}
        </div>
      )}
    </>
  );
}
