/** Pause, Resume and Cancel, each confirmed in a dialog first; only those that apply are enabled. */
import { useState } from 'preact/hooks';
import type { CampaignStatus } from '../../../shared/types';
import { apiJson } from '../../api/http';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { FormAlert, Status } from '../../components/Messages';

type Action = 'pause' | 'resume' | 'cancel';

const ACTIONS: Record<Action, { button: string; title: string; body: string; confirm: string; done: string; applies(s: CampaignStatus): boolean }> = {
  pause: {
    button: 'Pause',
    title: 'Pause this campaign?',
    body: 'No new calls are placed until you resume it. Calls already under way finish normally.',
    confirm: 'Pause campaign',
    done: 'The campaign is paused.',
    applies: (s) => s === 'running',
  },
  resume: {
    button: 'Resume',
    title: 'Resume this campaign?',
    body: 'Dialling starts again as agents become free.',
    confirm: 'Resume campaign',
    done: 'The campaign is running again.',
    applies: (s) => s === 'paused',
  },
  cancel: {
    button: 'Cancel campaign',
    title: 'Cancel this campaign?',
    body: 'No more numbers will be dialled, and the campaign ends for good. This cannot be undone.',
    confirm: 'Cancel campaign',
    done: 'The campaign is cancelled.',
    applies: (s) => s === 'running' || s === 'paused',
  },
};

interface ControlsProps {
  campaignId: string;
  status: CampaignStatus;
  onStatus(status: CampaignStatus): void;
}

export function Controls({ campaignId, status, onStatus }: ControlsProps) {
  const [asking, setAsking] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  // Said while the campaign is in the state the action left it in, not once it has moved on.
  const [done, setDone] = useState<{ message: string; status: CampaignStatus } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const confirm = async () => {
    const action = asking;
    setAsking(null);
    if (action === null) return;
    setBusy(true);
    setProblem(null);
    setDone(null);
    try {
      const reply = await apiJson<{ status: CampaignStatus }>(`/campaigns/${encodeURIComponent(campaignId)}/${action}`, { method: 'POST' });
      onStatus(reply.status);
      setDone({ message: ACTIONS[action].done, status: reply.status });
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const shown = asking === null ? undefined : ACTIONS[asking];
  return (
    <div class="controls">
      <div class="button-row">
        {(Object.keys(ACTIONS) as Action[]).map((action) => (
          <button
            key={action}
            type="button"
            class={action === 'cancel' ? 'button danger-outline' : 'button secondary'}
            disabled={busy || !ACTIONS[action].applies(status)}
            onClick={() => setAsking(action)}
            data-testid={`control-${action}`}
          >
            {ACTIONS[action].button}
          </button>
        ))}
      </div>
      <Status testId="control-status">{done?.status === status && done.message}</Status>
      <FormAlert messages={problem === null ? [] : [problem]} testId="control-alert" />
      <ConfirmDialog
        open={shown !== undefined}
        title={shown?.title ?? ''}
        confirmLabel={shown?.confirm ?? ''}
        cancelLabel={asking === 'cancel' ? 'Keep it running' : 'Go back'}
        danger={asking === 'cancel'}
        onConfirm={() => void confirm()}
        onClose={() => setAsking(null)}
      >
        <p>{shown?.body}</p>
      </ConfirmDialog>
    </div>
  );
}
