/**
 * A labelled input with its hint and the API's messages, tied together for screen readers
 * (aria-describedby, aria-invalid). The input itself comes from the caller, which spreads `a11y` on it.
 */
import type { ComponentChildren } from 'preact';

export interface FieldA11y {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: 'true';
}

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  errors?: string[];
  /** Messages of the group the field belongs to (e.g. the calling hours). */
  groupErrorId?: string;
  children: (a11y: FieldA11y) => ComponentChildren;
}

export function Field({ id, label, hint, errors, groupErrorId, children }: FieldProps) {
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = errors?.length ? `${id}-error` : undefined;
  const describedBy = [errorId, groupErrorId, hintId].filter((x) => x !== undefined).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({
        id,
        ...(describedBy === '' ? {} : { 'aria-describedby': describedBy }),
        ...(errorId === undefined && groupErrorId === undefined ? {} : { 'aria-invalid': 'true' as const }),
      })}
      {errorId !== undefined && <FieldMessages id={errorId} messages={errors!} />}
      {hintId !== undefined && (
        <p id={hintId} class="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

export function FieldMessages({ id, messages }: { id: string; messages: string[] }) {
  return (
    <p id={id} class="field-error" data-testid="field-error">
      {messages.join(' ')}
    </p>
  );
}

interface GroupProps {
  id: string;
  legend: string;
  errors?: string[];
  hint?: string;
  children: ComponentChildren;
}

/** A fieldset whose messages concern all its inputs: each input names `groupErrorIdOf(...)`. */
export function FieldGroup({ id, legend, errors, hint, children }: GroupProps) {
  return (
    <fieldset class="group" id={id}>
      <legend>{legend}</legend>
      {hint !== undefined && <p class="hint">{hint}</p>}
      <div class="group-fields">{children}</div>
      {errors?.length ? <FieldMessages id={`${id}-error`} messages={errors} /> : null}
    </fieldset>
  );
}

/** The id of a group's messages, when it has any. */
export const groupErrorIdOf = (id: string, errors: string[] | undefined): string | undefined =>
  errors?.length ? `${id}-error` : undefined;
