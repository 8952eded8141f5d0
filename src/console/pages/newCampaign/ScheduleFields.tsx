/** Calling hours (recipients' local time), days and the time zone of numbers whose own zone is unknown. */
import { WEEKDAYS, type Weekday } from '../../../shared/types';
import { Field, FieldGroup, groupErrorIdOf } from '../../components/Field';
import type { FormPartProps } from './form';

/** Monday first, as a week reads on a roster. */
const DAYS: Array<[Weekday, string]> = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
];

/** Every zone the browser knows, for the suggestions. */
const TIME_ZONES = Intl.supportedValuesOf('timeZone');

export function ScheduleFields({ form, errors, update }: FormPartProps) {
  const hoursError = groupErrorIdOf('calling-hours', errors.callingHours);
  const toggle = (day: Weekday, on: boolean) => {
    const days = on ? [...form.days, day] : form.days.filter((d) => d !== day);
    update({ days: WEEKDAYS.filter((d) => days.includes(d)) }, 'callingDays');
  };
  return (
    <>
      <FieldGroup
        id="calling-hours"
        legend="Calling hours"
        hint="In each person’s local time. Leave both empty for the dialer’s standard hours."
        errors={errors.callingHours}
      >
        <Field id="hours-start" label="From (HH:MM)" errors={errors['callingHours.start']} groupErrorId={hoursError}>
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              inputMode="numeric"
              placeholder="09:00"
              size={6}
              value={form.hoursStart}
              onInput={(e) => update({ hoursStart: e.currentTarget.value }, 'callingHours', 'callingHours.start')}
            />
          )}
        </Field>
        <Field id="hours-end" label="Until (HH:MM)" errors={errors['callingHours.end']} groupErrorId={hoursError} hint="24:00 means midnight.">
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              inputMode="numeric"
              placeholder="20:00"
              size={6}
              value={form.hoursEnd}
              onInput={(e) => update({ hoursEnd: e.currentTarget.value }, 'callingHours', 'callingHours.end')}
            />
          )}
        </Field>
      </FieldGroup>
      <FieldGroup id="calling-days" legend="Calling days" errors={errors.callingDays}>
        {DAYS.map(([day, label]) => (
          <label class="check" key={day}>
            <input
              type="checkbox"
              name="callingDays"
              value={day}
              checked={form.days.includes(day)}
              aria-describedby={groupErrorIdOf('calling-days', errors.callingDays)}
              onChange={(e) => toggle(day, e.currentTarget.checked)}
            />
            {label}
          </label>
        ))}
      </FieldGroup>
      <Field
        id="time-zone"
        label="Time zone (optional)"
        hint="Used for numbers whose time zone the dialer cannot tell from the number, e.g. Asia/Shanghai."
        errors={errors.timeZone}
      >
        {(a11y) => (
          <input
            {...a11y}
            type="text"
            list="time-zones"
            autocomplete="off"
            value={form.timeZone}
            onInput={(e) => update({ timeZone: e.currentTarget.value }, 'timeZone')}
          />
        )}
      </Field>
      <datalist id="time-zones">
        {TIME_ZONES.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </>
  );
}
