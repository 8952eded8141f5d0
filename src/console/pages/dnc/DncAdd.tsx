/** Adds one number (with an optional reason), or every number of a CSV file, to the do-not-call list. */
import { useState } from 'preact/hooks';
import { apiJson } from '../../api/http';
import type { DncAddedReply } from '../../api/types';
import { Field } from '../../components/Field';
import { FormAlert, Status } from '../../components/Messages';
import { RejectedTable } from '../../components/RejectedTable';
import { formErrorsOf, type FormErrors, NO_ERRORS, withoutTarget } from '../../fieldErrors';
import { formatCount } from '../../format';
import { reasonWords } from '../../words';

const TARGETS = ['numbers', 'reason', 'defaultRegion'] as const;

export function DncAdd({ onAdded }: { onAdded(): void }) {
  const [phone, setPhone] = useState('');
  const [reason, setReason] = useState('');
  const [region, setRegion] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [fileInput, setFileInput] = useState(0);
  const [busy, setBusy] = useState(false);
  const [reply, setReply] = useState<DncAddedReply | null>(null);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setReply(null);
    setErrors(NO_ERRORS);
    const options = { ...(reason.trim() === '' ? {} : { reason: reason.trim() }), ...(region.trim() === '' ? {} : { defaultRegion: region.trim() }) };
    try {
      const added =
        file !== null
          ? await apiJson<DncAddedReply>('/dnc', { method: 'POST', csv: file, query: new URLSearchParams(options) })
          : await apiJson<DncAddedReply>('/dnc', { method: 'POST', json: { numbers: phone.trim() === '' ? [] : [phone.trim()], ...options } });
      setReply(added);
      // A single number refused is the number field's problem, said beside it.
      if (file === null && added.rejected.length > 0) setErrors({ fields: { numbers: added.rejected.map((r) => `Not added: ${reasonWords(r.reason)}.`) }, form: [] });
      if (added.added > 0) {
        setPhone('');
        setFile(null);
        setFileInput((n) => n + 1);
        onAdded();
      }
    } catch (err) {
      setErrors(formErrorsOf(err, TARGETS));
    } finally {
      setBusy(false);
    }
  };

  const clearing = (target: string) => setErrors((e) => withoutTarget(e, target));
  return (
    <div class="card">
      <h2>Add to the list</h2>
      <form class="stack" onSubmit={(e) => void submit(e)} noValidate>
        <FormAlert messages={errors.form} testId="dnc-add-alert" />
        <Field id="dnc-phone" label="Phone number" errors={errors.fields.numbers}>
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              value={phone}
              onInput={(e) => {
                setPhone(e.currentTarget.value);
                clearing('numbers');
              }}
            />
          )}
        </Field>
        <Field id="dnc-file" label="Or a CSV file (used instead of the number)" hint="With a phone column.">
          {(a11y) => <input {...a11y} key={fileInput} type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />}
        </Field>
        <Field id="dnc-reason" label="Reason (optional)" errors={errors.fields.reason} hint="e.g. asked not to be called">
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              value={reason}
              onInput={(e) => {
                setReason(e.currentTarget.value);
                clearing('reason');
              }}
            />
          )}
        </Field>
        <Field id="dnc-region" label="Default region (optional)" errors={errors.fields.defaultRegion} hint="For numbers written without +, e.g. CN.">
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              size={4}
              value={region}
              onInput={(e) => {
                setRegion(e.currentTarget.value);
                clearing('defaultRegion');
              }}
            />
          )}
        </Field>
        <div>
          <button type="submit" class="button" disabled={busy} data-testid="dnc-add-submit">
            {busy ? 'Adding…' : 'Add to the list'}
          </button>
        </div>
      </form>
      <Status testId="dnc-add-status">
        {reply && (reply.added > 0 || reply.already > 0) && (
          <p>
            Added {formatCount(reply.added)}
            {reply.already > 0 && `; ${formatCount(reply.already)} already on the list`}.
          </p>
        )}
      </Status>
      {file === null ? null : <RejectedTable rejected={reply?.rejected ?? []} caption="Refused numbers" />}
    </div>
  );
}
