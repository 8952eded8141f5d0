/** More numbers for a running or paused campaign: typed one per line, or a CSV file instead. */
import { useState } from 'preact/hooks';
import { ApiError, apiJson } from '../../api/http';
import type { NumbersAddedReply, RejectedNumber } from '../../api/types';
import { Field } from '../../components/Field';
import { FormAlert, Status } from '../../components/Messages';
import { RejectedTable } from '../../components/RejectedTable';
import { formErrorsOf, type FormErrors, NO_ERRORS, withoutTarget } from '../../fieldErrors';
import { formatCount } from '../../format';

const TARGETS = ['numbers', 'defaultRegion'] as const;

export function AddNumbers({ campaignId }: { campaignId: string }) {
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  // Remounts the file input to clear it once the file has been sent.
  const [fileInput, setFileInput] = useState(0);
  const [region, setRegion] = useState('');
  const [busy, setBusy] = useState(false);
  const [reply, setReply] = useState<NumbersAddedReply | null>(null);
  const [refused, setRefused] = useState<RejectedNumber[]>([]);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setReply(null);
    setRefused([]);
    setErrors(NO_ERRORS);
    const path = `/campaigns/${encodeURIComponent(campaignId)}/numbers`;
    const defaultRegion = region.trim();
    try {
      const added =
        file !== null
          ? await apiJson<NumbersAddedReply>(path, { method: 'POST', csv: file, query: new URLSearchParams(defaultRegion === '' ? {} : { defaultRegion }) })
          : await apiJson<NumbersAddedReply>(path, {
              method: 'POST',
              json: { numbers: text.split(/\r?\n/).map((n) => n.trim()).filter((n) => n !== ''), ...(defaultRegion === '' ? {} : { defaultRegion }) },
            });
      setReply(added);
      setText('');
      setFile(null);
      setFileInput((n) => n + 1);
    } catch (err) {
      setErrors(formErrorsOf(err, TARGETS));
      setRefused(err instanceof ApiError ? err.rejected : []);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="card">
      <h2>Add numbers</h2>
      <form class="stack" onSubmit={(e) => void submit(e)} noValidate>
        <FormAlert messages={errors.form} testId="add-numbers-alert" />
        <Field id="add-numbers-text" label="Numbers, one per line" errors={errors.fields.numbers} hint="Numbers already in the campaign are not dialled again.">
          {(a11y) => (
            <textarea
              {...a11y}
              rows={4}
              value={text}
              onInput={(e) => {
                setText(e.currentTarget.value);
                setErrors((x) => withoutTarget(x, 'numbers'));
              }}
            />
          )}
        </Field>
        <Field id="add-numbers-file" label="Or a CSV file (used instead of the list)" hint="With a phone column, like the campaign’s own file.">
          {(a11y) => (
            <input {...a11y} key={fileInput} type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          )}
        </Field>
        <Field id="add-numbers-region" label="Default region (optional)" errors={errors.fields.defaultRegion} hint="For numbers written without +, e.g. CN.">
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              size={4}
              value={region}
              onInput={(e) => {
                setRegion(e.currentTarget.value);
                setErrors((x) => withoutTarget(x, 'defaultRegion'));
              }}
            />
          )}
        </Field>
        <div>
          <button type="submit" class="button" disabled={busy} data-testid="add-numbers-submit">
            {busy ? 'Adding…' : 'Add numbers'}
          </button>
        </div>
      </form>
      <Status testId="add-numbers-status">
        {reply && (
          <p>
            Added {formatCount(reply.accepted)}; repeated {formatCount(reply.duplicates)}; already in the campaign{' '}
            {formatCount(reply.alreadyInCampaign.length)}; refused {formatCount(reply.rejected.length)}. The campaign now has{' '}
            {formatCount(reply.total)} numbers.
          </p>
        )}
      </Status>
      <RejectedTable rejected={reply?.rejected ?? refused} caption="Refused numbers" />
    </div>
  );
}
