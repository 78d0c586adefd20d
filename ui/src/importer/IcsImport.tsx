//! The calendar import wizard: pick an .ics file and where its lessons go,
//! preview them (a dry run that writes nothing), then import when nothing conflicts.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { components } from '../api/schema.gen';
import { Field, describedBy } from '../components/Field';
import { fieldErrorsFrom, type FieldErrors } from '../booking/errors';
import { directory, loadDirectory } from '../data';
import { callKeepingBody, DetailedApiError, describeLessonConflict } from '../series/api';
import type { LessonConflict } from '../series/api';
import { useStore } from '../store';
import { formatInstant } from '../time';

type ImportReport = components['schemas']['ImportReport'];

interface IcsImportProps {
  zone: string;
}

/** Returns the report of a failed import, which `import_conflict` sends in `report`. */
function reportOf(error: DetailedApiError): ImportReport | null {
  const report = error.body.report;
  if (typeof report === 'object' && report !== null && 'occurrences' in report) {
    return report as ImportReport;
  }
  return null;
}

export function IcsImport({ zone }: IcsImportProps) {
  const dir = useStore(directory);
  const [file, setFile] = useState<File | null>(null);
  const [resourceId, setResourceId] = useState('');
  const [teacherId, setTeacherId] = useState('');
  const [studentId, setStudentId] = useState('');
  const [includePast, setIncludePast] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  /** Applies an edit, which makes a shown preview out of date. */
  const edit = <T,>(setter: (value: T) => void) => {
    return (value: T) => {
      setter(value);
      setReport(null);
    };
  };

  const run = async (dryRun: boolean) => {
    const missing: FieldErrors = {};
    if (file === null) missing.body = 'Choose an .ics file exported from a calendar app.';
    if (resourceId === '') missing.resource_id = 'Choose the room or instrument for the lessons.';
    if (file === null || resourceId === '') {
      setErrors(missing);
      return;
    }

    setBusy(true);
    setErrors({});
    try {
      const text = await file.text();
      const query = {
        resource_id: resourceId,
        teacher_id: teacherId === '' ? undefined : Number(teacherId),
        student_id: studentId === '' ? undefined : Number(studentId),
        include_past: includePast,
        dry_run: dryRun,
        name: file.name,
      };
      const answer = await callKeepingBody(
        api.POST('/api/import/ics', {
          params: { query },
          body: text,
          bodySerializer: (body: string) => body,
          headers: { 'Content-Type': 'text/calendar' },
        }),
      );
      setReport(answer);
      if (!dryRun) await loadDirectory();
    } catch (cause) {
      const conflictReport = cause instanceof DetailedApiError ? reportOf(cause) : null;
      if (conflictReport) setReport(conflictReport);
      setErrors(fieldErrorsFrom(cause, dir));
    } finally {
      setBusy(false);
    }
  };

  const previewed = report?.dry_run === true;
  const canImport = previewed && report.conflicting === 0 && report.occurrences.length > 0 && !busy;
  const fileName = file?.name ?? 'the file';

  return (
    <section class="manage importer" aria-labelledby="ics-heading">
      <h2 id="ics-heading">Import a calendar (.ics)</h2>
      <form
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          void run(true);
        }}
        noValidate
      >
        {errors.form ? (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        ) : null}

        <Field
          id="ics-file"
          label="Calendar file"
          error={errors.body}
          hint="An export of Google Calendar, Outlook or Apple Calendar."
        >
          <input
            type="file"
            accept=".ics,text/calendar"
            {...describedBy('ics-file', errors.body, 'hint')}
            onChange={(event) => {
              edit(setFile)(event.currentTarget.files?.[0] ?? null);
            }}
          />
        </Field>

        <div class="field-row">
          <Field id="ics-resource" label="Room or instrument" error={errors.resource_id}>
            <select
              {...describedBy('ics-resource', errors.resource_id)}
              value={resourceId}
              onChange={(event) => {
                edit(setResourceId)(event.currentTarget.value);
              }}
            >
              <option value="">Choose…</option>
              {dir.resources.map((resource) => (
                <option key={resource.id} value={resource.id}>
                  {resource.name}
                </option>
              ))}
            </select>
          </Field>

          <Field
            id="ics-teacher"
            label="Teacher (optional)"
            error={errors.teacher_id}
            hint={`Without one, a teacher named “Imported from ${fileName}” is created.`}
          >
            <select
              {...describedBy('ics-teacher', errors.teacher_id, 'hint')}
              value={teacherId}
              onChange={(event) => {
                edit(setTeacherId)(event.currentTarget.value);
              }}
            >
              <option value="">Create a teacher for this file</option>
              {dir.teachers.map((teacher) => (
                <option key={teacher.id} value={String(teacher.id)}>
                  {teacher.name}
                </option>
              ))}
            </select>
          </Field>

          <Field
            id="ics-student"
            label="Student (optional)"
            error={errors.student_id}
            hint="Without one, a student is created per event title, with the placeholder email imported-<n>@example.invalid."
          >
            <select
              {...describedBy('ics-student', errors.student_id, 'hint')}
              value={studentId}
              onChange={(event) => {
                edit(setStudentId)(event.currentTarget.value);
              }}
            >
              <option value="">Create a student per event title</option>
              {dir.students.map((student) => (
                <option key={student.id} value={String(student.id)}>
                  {student.name}
                </option>
              ))}
            </select>
          </Field>
        </div>

        <label class="checkbox">
          <input
            type="checkbox"
            checked={includePast}
            onChange={(event) => {
              edit(setIncludePast)(event.currentTarget.checked);
            }}
          />
          Include lessons in the past (to move a studio's history in)
        </label>

        <div class="actions">
          <button type="submit" class="secondary" disabled={busy}>
            {busy ? 'Working…' : 'Preview'}
          </button>
          <button
            type="button"
            disabled={!canImport}
            aria-describedby="ics-import-hint"
            onClick={() => void run(false)}
          >
            Import
          </button>
        </div>
        <p class="hint" id="ics-import-hint">
          Preview writes nothing. Import is possible after a preview without conflicts, and imports
          every lesson in one step or none.
        </p>
      </form>

      {report ? <ImportReportView report={report} zone={zone} /> : null}
    </section>
  );
}

function ImportReportView({ report, zone }: { report: ImportReport; zone: string }) {
  const dir = useStore(directory);
  const lessons = report.occurrences;

  let summary: string;
  if (!report.dry_run) {
    summary = `Imported ${String(report.created)} lessons.`;
  } else if (report.conflicting > 0) {
    summary = `${String(lessons.length)} lessons, ${String(report.conflicting)} with conflicts: nothing can be imported until they are resolved.`;
  } else {
    summary = `${String(lessons.length)} lessons would be imported, none with conflicts.`;
  }

  return (
    <section aria-labelledby="ics-report-heading">
      <h3 id="ics-report-heading">{report.dry_run ? 'Preview' : 'Result'}</h3>
      <p role="status" data-testid="ics-summary">
        {summary}
      </p>
      {report.teachers_to_create.length > 0 ? (
        <p>
          {report.dry_run ? 'Teachers to create or reuse' : 'Teachers created or reused'}:{' '}
          {report.teachers_to_create.join(', ')}.
        </p>
      ) : null}
      {report.students_to_create.length > 0 ? (
        <p>
          {report.dry_run ? 'Students to create or reuse' : 'Students created or reused'}:{' '}
          {report.students_to_create.join(', ')}.
        </p>
      ) : null}

      {lessons.length > 0 ? (
        <table class="report-table">
          <caption>Lessons in the file</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Start (studio time)</th>
              <th scope="col">Length</th>
              <th scope="col">Title</th>
              <th scope="col">Conflicts</th>
            </tr>
          </thead>
          <tbody>
            {lessons.map((lesson, index) => {
              const conflicts = lesson.conflicts as LessonConflict[];
              const clash = conflicts.length > 0 || lesson.overlaps_in_file.length > 0;
              return (
                <tr
                  key={`${lesson.uid}-${lesson.start}`}
                  class={clash ? 'has-conflict' : undefined}
                >
                  <td>{index + 1}</td>
                  <td>{formatInstant(lesson.start, zone)}</td>
                  <td>{lesson.duration_min} min</td>
                  <td>{lesson.summary}</td>
                  <td>
                    {conflicts.map((conflict) => (
                      <p key={conflict.booking.id} class="slot-note conflict">
                        {describeLessonConflict(conflict, dir, zone)}
                      </p>
                    ))}
                    {lesson.overlaps_in_file.map((other) => (
                      <p key={other} class="slot-note conflict">
                        Overlaps lesson {other + 1} of this file.
                      </p>
                    ))}
                    {clash ? null : 'None'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}

      {report.skipped.length > 0 ? (
        <table class="report-table">
          <caption>Skipped events</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {report.skipped.map((event, index) => (
              <tr key={`${event.uid ?? ''}-${String(index)}`}>
                <td>{event.summary ?? event.uid ?? '(no title)'}</td>
                <td>
                  {event.reason} (<code>{event.code}</code>)
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      {report.notes.length > 0 ? (
        <>
          <h4>Notes</h4>
          <ul>
            {report.notes.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
