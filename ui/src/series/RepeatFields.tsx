//! The "Repeat weekly" part of the booking dialog: every N weeks, ending on a
//! date or after a number of lessons.
import { Field, describedBy } from '../components/Field';
import type { FieldErrors } from '../booking/errors';
import { addDays } from '../time';

export interface RepeatSettings {
  enabled: boolean;
  intervalWeeks: number;
  endKind: 'until' | 'count';
  /** Last date a lesson may fall on, `YYYY-MM-DD`; empty until the desk picks one. */
  until: string;
  count: number;
}

export const NO_REPEAT: RepeatSettings = {
  enabled: false,
  intervalWeeks: 1,
  endKind: 'count',
  until: '',
  count: 10,
};

/** Limits of `POST /api/series`, repeated here so the inputs can say them. */
const MAX_INTERVAL_WEEKS = 52;
const MAX_COUNT = 260;
/** A term: the until date the form suggests, this many weeks after the first lesson. */
const SUGGESTED_WEEKS = 12;

interface RepeatFieldsProps {
  settings: RepeatSettings;
  /** The first lesson's date, `YYYY-MM-DD`, for the suggested last date. */
  firstDate: string;
  errors: FieldErrors;
  onChange: (settings: RepeatSettings) => void;
}

export function RepeatFields({ settings, firstDate, errors, onChange }: RepeatFieldsProps) {
  const update = (change: Partial<RepeatSettings>) => {
    onChange({ ...settings, ...change });
  };

  return (
    <fieldset class="repeat">
      <legend class="visually-hidden">Repeat</legend>
      <label class="checkbox">
        <input
          type="checkbox"
          checked={settings.enabled}
          onChange={(event) => {
            const enabled = event.currentTarget.checked;
            const until =
              settings.until === '' && firstDate !== ''
                ? addDays(firstDate, SUGGESTED_WEEKS * 7)
                : settings.until;
            update({ enabled, until });
          }}
        />
        Repeat weekly
      </label>

      {settings.enabled ? (
        <>
          <div class="field-row">
            <Field
              id="repeat-interval"
              label="Every (weeks)"
              error={errors.interval_weeks}
              hint="1 for every week, 2 for every other week."
            >
              <input
                type="number"
                min={1}
                max={MAX_INTERVAL_WEEKS}
                {...describedBy('repeat-interval', errors.interval_weeks, 'hint')}
                value={String(settings.intervalWeeks)}
                onInput={(event) => {
                  update({ intervalWeeks: Number(event.currentTarget.value) });
                }}
              />
            </Field>

            <fieldset class="choices">
              <legend>Ends</legend>
              <label class="choice">
                <input
                  type="radio"
                  name="repeat-end"
                  checked={settings.endKind === 'count'}
                  onChange={() => {
                    update({ endKind: 'count' });
                  }}
                />
                After a number of lessons
              </label>
              <label class="choice">
                <input
                  type="radio"
                  name="repeat-end"
                  checked={settings.endKind === 'until'}
                  onChange={() => {
                    update({ endKind: 'until' });
                  }}
                />
                On a date
              </label>
            </fieldset>

            {settings.endKind === 'count' ? (
              <Field
                id="repeat-count"
                label="Number of lessons"
                error={errors.count}
                hint={`1 to ${String(MAX_COUNT)}.`}
              >
                <input
                  type="number"
                  min={1}
                  max={MAX_COUNT}
                  {...describedBy('repeat-count', errors.count, 'hint')}
                  value={String(settings.count)}
                  onInput={(event) => {
                    update({ count: Number(event.currentTarget.value) });
                  }}
                />
              </Field>
            ) : (
              <Field
                id="repeat-until"
                label="Last date"
                error={errors.until}
                hint="No lesson after this date."
              >
                <input
                  type="date"
                  {...describedBy('repeat-until', errors.until, 'hint')}
                  value={settings.until}
                  onInput={(event) => {
                    update({ until: event.currentTarget.value });
                  }}
                />
              </Field>
            )}
          </div>
        </>
      ) : null}
    </fieldset>
  );
}
