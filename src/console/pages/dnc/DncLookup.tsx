/** Is this number on the do-not-call list? One GET /dnc/:phone; looked up again after the list changes. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, apiJson } from '../../api/http';
import type { DncEntry } from '../../api/types';
import { Field } from '../../components/Field';
import { Status } from '../../components/Messages';
import { formErrorsOf, type FormErrors, NO_ERRORS } from '../../fieldErrors';
import { formatDateTime } from '../../format';

interface DncLookupProps {
  /** Changes whenever the list does. */
  version: number;
  onRemove(phone: string): void;
}

type Found = { phone: string; entry: DncEntry | null; message: string | null };

export function DncLookup({ version, onRemove }: DncLookupProps) {
  const [phone, setPhone] = useState('');
  const [found, setFound] = useState<Found | null>(null);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);

  const lookUp = async (number: string) => {
    setErrors(NO_ERRORS);
    try {
      setFound({ phone: number, entry: await apiJson<DncEntry>(`/dnc/${encodeURIComponent(number)}`), message: null });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not_on_list') setFound({ phone: number, entry: null, message: err.message });
      else {
        setFound(null);
        setErrors(formErrorsOf(err, ['phone']));
      }
    }
  };

  // The answer shown stays true after an addition or a removal.
  useEffect(() => {
    if (found !== null) void lookUp(found.phone);
    // Only the list's changes ask again; a new search runs from the form.
  }, [version]);

  const submit = (event: Event) => {
    event.preventDefault();
    if (phone.trim() === '') {
      setErrors({ fields: { phone: ['Enter a phone number to look up.'] }, form: [] });
      return;
    }
    void lookUp(phone.trim());
  };

  return (
    <div class="card">
      <h2>Look up a number</h2>
      <form class="inline-form" onSubmit={submit} noValidate>
        <Field id="dnc-lookup" label="Phone number" errors={[...(errors.fields.phone ?? []), ...errors.form]}>
          {(a11y) => <input {...a11y} type="search" placeholder="+8613912345678" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="button secondary">
          Look up
        </button>
      </form>
      <Status testId="dnc-lookup-result">
        {found?.entry ? (
          <div class="found">
            <p>
              <strong class="mono">{found.entry.phone}</strong> is on the list since {formatDateTime(found.entry.addedAt)}
              {found.entry.reason !== null && ` (${found.entry.reason})`}.
            </p>
            <button type="button" class="button danger-outline small" onClick={() => onRemove(found.entry!.phone)}>
              Remove from the list
            </button>
          </div>
        ) : (
          found?.message
        )}
      </Status>
    </div>
  );
}
