/** The do-not-call list, one for every campaign: look a number up, add, remove (confirmed), page through. */
import { useState } from 'preact/hooks';
import { apiJson } from '../../api/http';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { FormAlert, Status } from '../../components/Messages';
import { useTitle } from '../../hooks/useTitle';
import { DncAdd } from './DncAdd';
import { DncList } from './DncList';
import { DncLookup } from './DncLookup';

export function DncPage() {
  useTitle('Do-not-call list');
  // Bumped by every change, so that the lookup and the list read again.
  const [version, setVersion] = useState(0);
  const [removing, setRemoving] = useState<string | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const changed = () => setVersion((v) => v + 1);

  const remove = async () => {
    const phone = removing;
    setRemoving(null);
    if (phone === null) return;
    setProblem(null);
    try {
      await apiJson(`/dnc/${encodeURIComponent(phone)}`, { method: 'DELETE' });
      setRemoved(`${phone} is off the list.`);
      changed();
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <section aria-labelledby="dnc-title">
      <div class="page-head">
        <h1 id="dnc-title">Do-not-call list</h1>
      </div>
      <p class="muted intro">Numbers on this list are never dialled by any campaign, and are refused when a campaign’s file is imported.</p>
      <Status testId="dnc-status">{removed}</Status>
      <FormAlert messages={problem === null ? [] : [problem]} testId="dnc-alert" />
      <div class="columns">
        <DncLookup version={version} onRemove={setRemoving} />
        <DncAdd onAdded={changed} />
      </div>
      <DncList version={version} onRemove={setRemoving} />
      <ConfirmDialog
        open={removing !== null}
        title="Remove this number from the list?"
        confirmLabel="Remove"
        danger
        onConfirm={() => void remove()}
        onClose={() => setRemoving(null)}
      >
        <p>
          <span class="mono">{removing}</span> may then be called by campaigns again.
        </p>
      </ConfirmDialog>
    </section>
  );
}
