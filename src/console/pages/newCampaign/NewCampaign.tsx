/**
 * A new campaign from a CSV file: the file's first rows, the server's dry run of the import (which
 * numbers it would refuse and why, checked again when the settings that decide it change), the
 * settings, and Start, which posts the file as it is with the settings as query parameters.
 */
import { useRef, useState } from 'preact/hooks';
import { apiJson } from '../../api/http';
import type { ImportReply } from '../../api/types';
import { previewCsv } from '../../csv';
import { Field, FieldGroup, groupErrorIdOf } from '../../components/Field';
import { FormAlert } from '../../components/Messages';
import { formErrorsOf, type FormErrors, NO_ERRORS, showFirstError, withoutTarget } from '../../fieldErrors';
import { useTitle } from '../../hooks/useTitle';
import { campaignHref, navigate } from '../../router';
import { CsvDropZone } from './CsvDropZone';
import { CsvPreview } from './CsvPreview';
import { DryRunResult } from './DryRunResult';
import { type CampaignForm, campaignQuery, EMPTY_FORM, FORM_TARGETS, VALIDATION_FIELDS } from './form';
import { RetryRules } from './RetryRules';
import { ScheduleFields } from './ScheduleFields';
import { useDryRun } from './useDryRun';

/** Typing pauses this long before the dry run runs again. */
const DRY_RUN_DELAY_MS = 500;
const PREVIEW_ROWS = 5;
const CAP_GROUP = { id: 'frequency-cap', target: 'frequencyCap' };

interface TextOptions {
  hint?: string;
  numeric?: boolean;
  /** The group (its element id, its target) whose messages concern this input too. */
  group?: { id: string; target: string };
}

export function NewCampaign() {
  useTitle('New campaign');
  const [form, setForm] = useState<CampaignForm>(EMPTY_FORM);
  const [file, setFile] = useState<File | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ header: string[]; rows: string[][] }>({ header: [], rows: [] });
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [starting, setStarting] = useState(false);
  const formElement = useRef<HTMLFormElement>(null);
  // The dry run reads the form when it fires, not when it was scheduled.
  const latestForm = useRef(form);
  latestForm.current = form;
  const { dryRun, schedule } = useDryRun((err) => setErrors(formErrorsOf(err, FORM_TARGETS)));
  const check = (chosen: File, delayMs: number) => schedule(chosen, () => campaignQuery(latestForm.current), delayMs);

  const update = (patch: Partial<CampaignForm>, ...targets: string[]) => {
    setForm((f) => ({ ...f, ...patch }));
    setErrors((e) => targets.reduce(withoutTarget, e));
    // After a refusal any correction may be the one that makes the file pass.
    const decides = dryRun.state === 'failed' || VALIDATION_FIELDS.some((field) => field in patch);
    if (file !== null && decides) check(file, DRY_RUN_DELAY_MS);
  };

  const chooseFile = (chosen: File) => {
    setFile(chosen);
    setFileProblem(null);
    setErrors(NO_ERRORS);
    previewCsv(chosen, PREVIEW_ROWS).then(setPreview, () => setPreview({ header: [], rows: [] }));
    check(chosen, 0);
  };

  const start = async (event: Event) => {
    event.preventDefault();
    if (file === null) {
      setFileProblem('Choose a CSV file with a phone column first.');
      document.getElementById('csv-file')?.focus();
      return;
    }
    setStarting(true);
    try {
      const reply = await apiJson<ImportReply>('/campaigns', { method: 'POST', query: campaignQuery(form), csv: file });
      navigate(campaignHref(reply.campaignId));
    } catch (err) {
      setErrors(formErrorsOf(err, FORM_TARGETS));
      showFirstError(formElement.current);
    } finally {
      setStarting(false);
    }
  };

  const fields = errors.fields;
  const text = (id: string, label: string, name: keyof CampaignForm & string, target: string, { hint, numeric, group }: TextOptions = {}) => (
    <Field id={id} label={label} hint={hint} errors={fields[target]} groupErrorId={group && groupErrorIdOf(group.id, fields[group.target])}>
      {(a11y) => (
        <input
          {...a11y}
          type="text"
          inputMode={numeric ? 'numeric' : undefined}
          value={form[name] as string}
          onInput={(e) => update({ [name]: e.currentTarget.value }, target, ...(group ? [group.target] : []))}
        />
      )}
    </Field>
  );

  return (
    <section aria-labelledby="new-title">
      <div class="page-head">
        <h1 id="new-title">New campaign</h1>
      </div>
      <form ref={formElement} class="new-campaign" onSubmit={(e) => void start(e)} noValidate>
        <FormAlert messages={errors.form} />
        <div class="card">
          <h2>Numbers</h2>
          <CsvDropZone file={file} problem={fileProblem} onFile={chooseFile} />
          <CsvPreview header={preview.header} rows={preview.rows} />
          <DryRunResult dryRun={dryRun} />
        </div>
        <div class="columns">
          <div class="card">
            <h2>Campaign</h2>
            {text('name', 'Name', 'name', 'name', { hint: 'Shown in lists. Empty: the campaign id.' })}
            {text('campaign-id', 'Campaign id (optional)', 'campaignId', 'campaignId', { hint: 'Letters, digits, - and _. Empty: one is made up.' })}
            {text('agent-ids', 'Agents (optional)', 'agentIds', 'agentIds', { hint: 'Agent ids separated by commas. Empty: every agent the agent system lists.' })}
            {text('default-region', 'Default region (optional)', 'defaultRegion', 'defaultRegion', { hint: 'Two-letter country code for numbers written without +, e.g. CN, GB, US.' })}
          </div>
          <div class="card">
            <h2>Dialling</h2>
            {text('max-attempts', 'Attempts per number', 'maxAttempts', 'maxAttempts', { hint: '1 to 10.', numeric: true })}
            {text('retry-delay', 'Wait before a retry (seconds)', 'retryDelaySec', 'retryDelaySec', { hint: '0 to 86,400 (one day).', numeric: true })}
            {text('max-concurrent', 'Calls at the same time (optional)', 'maxConcurrentCalls', 'maxConcurrentCalls', { hint: 'Empty: one call per free agent.', numeric: true })}
            <FieldGroup id="frequency-cap" legend="Limit calls to the same number (optional)" hint="Counts calls from every campaign." errors={fields.frequencyCap}>
              {text('cap-calls', 'At most this many calls', 'capCalls', 'frequencyCap.calls', { numeric: true, group: CAP_GROUP })}
              {text('cap-hours', 'Within this many hours', 'capPerHours', 'frequencyCap.perHours', { numeric: true, group: CAP_GROUP })}
            </FieldGroup>
          </div>
        </div>
        <div class="columns">
          <div class="card">
            <h2>When to call</h2>
            <ScheduleFields form={form} errors={fields} update={update} />
          </div>
          <div class="card">
            <h2>Retries</h2>
            <RetryRules form={form} errors={fields} update={update} />
          </div>
        </div>
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={starting} data-testid="start-campaign">
            {starting ? 'Starting…' : 'Start campaign'}
          </button>
        </div>
      </form>
    </section>
  );
}
