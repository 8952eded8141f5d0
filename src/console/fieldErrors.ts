/**
 * The API's verdict on a form, placed where the supervisor looks: each `invalid_request` field
 * problem beside the input it names, the rest at the top of the form. JSON bodies name fields by
 * path (`settings.maxAttempts`, `settings.callingHours.start`), CSV query parameters by their name
 * (`maxAttempts`, `callingHours`): both reach the same input.
 */
import { ApiError } from './api/http';
import { messageWords } from './words';

export interface FormErrors {
  /** Messages by target: an input's or a group's key. */
  fields: Record<string, string[]>;
  /** Shown at the top of the form. */
  form: string[];
}

export const NO_ERRORS: FormErrors = { fields: {}, form: [] };

/** JSON paths the query form spells otherwise. */
const ALIASES: Record<string, string> = { 'callingHours.days': 'callingDays' };

/** The target a field path belongs to: the longest known prefix (`agentIds.2` is `agentIds`'s). */
export function targetOf(field: string, targets: readonly string[]): string | undefined {
  let path = field.replace(/^settings\./, '');
  for (const [from, to] of Object.entries(ALIASES)) if (path === from || path.startsWith(`${from}.`)) path = to + path.slice(from.length);
  for (let parts = path.split('.'); parts.length > 0; parts = parts.slice(0, -1)) {
    const candidate = parts.join('.');
    if (targets.includes(candidate)) return candidate;
  }
  return undefined;
}

export function formErrorsOf(err: unknown, targets: readonly string[]): FormErrors {
  if (!(err instanceof ApiError)) return { fields: {}, form: [`Something went wrong: ${err instanceof Error ? err.message : String(err)}`] };
  const fields: Record<string, string[]> = {};
  const form: string[] = [];
  for (const { field, message } of err.fields) {
    const target = targetOf(field, targets);
    if (target === undefined) form.push(field === '(body)' ? messageWords(message) : `${field}: ${messageWords(message)}`);
    else (fields[target] ??= []).push(messageWords(message));
  }
  if (err.fields.length === 0) form.unshift(err.message);
  else if (form.length === 0) form.push('Some entries need correcting: see the messages beside them.');
  return { fields, form };
}

/** The errors without those of one target: editing a field clears its message. */
export function withoutTarget(errors: FormErrors, target: string): FormErrors {
  if (!(target in errors.fields)) return errors;
  const { [target]: _cleared, ...fields } = errors.fields;
  return { ...errors, fields };
}

/** After a refused submit: focus the first field the API named, else bring the form's alert into view. */
export function showFirstError(form: HTMLElement | null): void {
  window.requestAnimationFrame(() => {
    const field = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (field) field.focus();
    else form?.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
  });
}
