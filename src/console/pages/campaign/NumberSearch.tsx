/** One number's story in the campaign (GET /campaigns/:id/numbers/:phone): every attempt, every hold. */
import { useState } from 'preact/hooks';
import { ApiError, apiJson } from '../../api/http';
import type { NumberAudit } from '../../api/types';
import { Field } from '../../components/Field';
import { Status } from '../../components/Messages';
import { formErrorsOf, type FormErrors, NO_ERRORS } from '../../fieldErrors';
import { formatDateTime, formatSeconds } from '../../format';
import { HOLD_WORDS, OUTCOME_WORDS } from '../../words';

const STATE_WORDS: Record<NumberAudit['state'], string> = { queued: 'Waiting', leased: 'Being dialled', finished: 'Done' };

const outcomeWords = (outcome: string): string => OUTCOME_WORDS[outcome as keyof typeof OUTCOME_WORDS] ?? outcome;

export function NumberSearch({ campaignId }: { campaignId: string }) {
  const [phone, setPhone] = useState('');
  const [audit, setAudit] = useState<NumberAudit | null>(null);
  const [notFound, setNotFound] = useState<string | null>(null);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);

  const search = async (event: Event) => {
    event.preventDefault();
    setAudit(null);
    setNotFound(null);
    setErrors(NO_ERRORS);
    if (phone.trim() === '') {
      setErrors({ fields: { phone: ['Enter a phone number.'] }, form: [] });
      return;
    }
    try {
      setAudit(await apiJson<NumberAudit>(`/campaigns/${encodeURIComponent(campaignId)}/numbers/${encodeURIComponent(phone.trim())}`));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setNotFound(err.message);
      else setErrors(formErrorsOf(err, ['phone']));
    }
  };

  return (
    <div class="number-search">
      <form class="inline-form" onSubmit={(e) => void search(e)} noValidate>
        <Field id="number-search" label="Find a number" errors={[...(errors.fields.phone ?? []), ...errors.form]}>
          {(a11y) => <input {...a11y} type="search" placeholder="+8613912345678" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="button secondary">
          Find
        </button>
      </form>
      <Status testId="number-search-status">{notFound}</Status>
      {audit && <AuditView audit={audit} />}
    </div>
  );
}

function AuditView({ audit }: { audit: NumberAudit }) {
  return (
    <div class="audit" data-testid="number-audit">
      <h3 class="mono">{audit.phone}</h3>
      <dl class="facts">
        <dt>State</dt>
        <dd>{STATE_WORDS[audit.state]}</dd>
        <dt>Time zone</dt>
        <dd>{audit.timeZones.join(', ') || '–'}</dd>
        {audit.dueAt !== null && (
          <>
            <dt>Next call due</dt>
            <dd>{formatDateTime(audit.dueAt)}</dd>
          </>
        )}
        <dt>Do-not-call list</dt>
        <dd>{audit.doNotCall ? `Listed ${formatDateTime(audit.doNotCall.addedAt)}${audit.doNotCall.reason ? `: ${audit.doNotCall.reason}` : ''}` : 'Not listed'}</dd>
      </dl>
      {audit.attempts.length === 0 ? (
        <p class="muted">Not dialled yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="table compact">
            <caption>Attempts</caption>
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">Agent</th>
                <th scope="col">Outcome</th>
                <th scope="col">Dialled</th>
                <th scope="col">Ended</th>
                <th scope="col">Talk time</th>
                <th scope="col">Agent’s note</th>
              </tr>
            </thead>
            <tbody>
              {audit.attempts.map((a) => (
                <tr key={a.callId}>
                  <td>{a.attempt}</td>
                  <td>{a.agentId}</td>
                  <td>{outcomeWords(a.outcome)}</td>
                  <td>{formatDateTime(a.dialledAt)}</td>
                  <td>{formatDateTime(a.endedAt)}</td>
                  <td>{formatSeconds(a.talkSec)}</td>
                  <td>
                    {a.disposition
                      ? [a.disposition.code, a.disposition.note, a.disposition.callbackAt && `call back ${formatDateTime(a.disposition.callbackAt)}`]
                          .filter(Boolean)
                          .join(' · ')
                      : '–'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {audit.holds.length > 0 && (
        <>
          <h4>Held back</h4>
          <ul>
            {audit.holds.map((h, i) => (
              <li key={i}>
                {HOLD_WORDS[h.reason]} at {formatDateTime(h.at)}
                {h.until !== null && `, until ${formatDateTime(h.until)}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
