/** Retry rules per outcome (the API's `retry`): how often, and after how long, a number is tried again. */
import { FieldMessages } from '../../components/Field';
import { OUTCOME_WORDS } from '../../words';
import { type FormPartProps, RETRY_OUTCOMES, type RetryOutcome } from './form';

type RuleField = 'maxAttempts' | 'delaySec';

const COLUMNS: Array<[RuleField, string]> = [
  ['maxAttempts', 'Attempts in all'],
  ['delaySec', 'Wait before retry (seconds)'],
];

export function RetryRules({ form, errors, update }: FormPartProps) {
  const set = (outcome: RetryOutcome, field: RuleField, value: string) =>
    update({ retry: { ...form.retry, [outcome]: { ...form.retry[outcome], [field]: value } } }, 'retry', `retry.${outcome}.${field}`);
  return (
    <fieldset class="group" id="retry-rules">
      <legend>Retries by outcome (optional)</legend>
      <p class="hint">Empty boxes use the attempts and wait above.</p>
      <table class="table compact rules">
        <thead>
          <tr>
            <th scope="col">When the call ends</th>
            {COLUMNS.map(([field, title]) => (
              <th scope="col" key={field}>
                {title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {RETRY_OUTCOMES.map((outcome) => (
            <tr key={outcome}>
              <th scope="row">{OUTCOME_WORDS[outcome]}</th>
              {COLUMNS.map(([field, title]) => {
                const id = `retry-${outcome}-${field}`;
                const messages = errors[`retry.${outcome}.${field}`];
                return (
                  <td key={field}>
                    <label class="sr-only" for={id}>
                      {OUTCOME_WORDS[outcome]}: {title.toLowerCase()}
                    </label>
                    <input
                      id={id}
                      type="text"
                      inputMode="numeric"
                      size={6}
                      value={form.retry[outcome][field]}
                      aria-invalid={messages ? 'true' : undefined}
                      aria-describedby={messages ? `${id}-error` : undefined}
                      onInput={(e) => set(outcome, field, e.currentTarget.value)}
                    />
                    {messages && <FieldMessages id={`${id}-error`} messages={messages} />}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {errors.retry && <FieldMessages id="retry-rules-error" messages={errors.retry} />}
    </fieldset>
  );
}
