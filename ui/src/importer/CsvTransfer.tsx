//! CSV export of bookings and of the audit log, and CSV import of students,
//! teachers or bookings with a dry run that lists every row and every error.
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { components } from '../api/schema.gen';
import { Field, describedBy } from '../components/Field';
import { loadDirectory } from '../data';
import { callKeepingBody, DetailedApiError } from '../series/api';
import { wallClock, formatWall } from '../time';

type Schemas = components['schemas'];

type CsvReport = Schemas['CsvImportReport'];

type CsvKind = 'students' | 'teachers' | 'bookings';

const KIND_COLUMNS: Record<CsvKind, string> = {
  students: 'name,email',
  teachers: 'name',
  bookings: 'resource_id,teacher,student,start,duration_min,notes',
};

function isCsvReport(value: unknown): value is CsvReport {
  return typeof value === 'object' && value !== null && 'rows' in value && 'errors' in value;
}

/** Saves `text` as a download named `fileName`. */
function saveText(text: string, fileName: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

export function CsvExport() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  const download = async (what: 'bookings' | 'audit') => {
    setError('');
    setStatus('');
    // Dates are read as booking starts: midnight studio time, `to` exclusive.
    const query = {
      from: from === '' ? undefined : `${from}T00:00`,
      to: to === '' ? undefined : `${to}T00:00`,
    };
    try {
      // Fetched through the API client, so the desktop credential is sent.
      const text =
        what === 'bookings'
          ? await call(api.GET('/api/export/bookings.csv', { params: { query }, parseAs: 'text' }))
          : await call(api.GET('/api/export/audit.csv', { params: { query }, parseAs: 'text' }));
      const fileName = what === 'bookings' ? 'melody-bookings.csv' : 'melody-audit.csv';
      saveText(text, fileName);
      setStatus(`Saved ${fileName}.`);
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
    }
  };

  return (
    <section class="manage" aria-labelledby="csv-export-heading">
      <h2 id="csv-export-heading">Export as CSV</h2>
      <div class="field-row">
        <Field id="export-from" label="From (optional)" hint="First day, studio time.">
          <input
            type="date"
            {...describedBy('export-from', undefined, 'hint')}
            value={from}
            onInput={(event) => {
              setFrom(event.currentTarget.value);
            }}
          />
        </Field>
        <Field id="export-to" label="Until (optional)" hint="The day after the last day.">
          <input
            type="date"
            {...describedBy('export-to', undefined, 'hint')}
            value={to}
            onInput={(event) => {
              setTo(event.currentTarget.value);
            }}
          />
        </Field>
      </div>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void download('bookings')}>
          Download bookings (CSV)
        </button>
        <button type="button" class="secondary" onClick={() => void download('audit')}>
          Download audit log (CSV)
        </button>
      </div>
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <p role="status">{status}</p>
    </section>
  );
}

export function CsvImport() {
  const [kind, setKind] = useState<CsvKind>('students');
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<CsvReport | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async (dryRun: boolean) => {
    if (file === null) {
      setError('Choose a CSV file first.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const text = await file.text();
      const answer = await callKeepingBody(
        api.POST('/api/import/csv/{kind}', {
          params: { path: { kind }, query: { dry_run: dryRun } },
          body: text,
          bodySerializer: (body: string) => body,
          headers: { 'Content-Type': 'text/csv' },
        }),
      );
      setReport(answer);
      if (!dryRun) await loadDirectory();
    } catch (cause) {
      if (cause instanceof DetailedApiError && isCsvReport(cause.body)) setReport(cause.body);
      else setReport(null);
      setError(cause instanceof Error ? cause.message : String(cause));
    } finally {
      setBusy(false);
    }
  };

  const canImport = report?.dry_run === true && report.errors.length === 0 && !busy;

  return (
    <section class="manage" aria-labelledby="csv-import-heading">
      <h2 id="csv-import-heading">Import from CSV</h2>
      <div class="field-row">
        <Field
          id="csv-kind"
          label="What the file contains"
          hint={`Columns: ${KIND_COLUMNS[kind]}.`}
        >
          <select
            {...describedBy('csv-kind', undefined, 'hint')}
            value={kind}
            onChange={(event) => {
              setKind(event.currentTarget.value as CsvKind);
              setReport(null);
            }}
          >
            <option value="students">Students</option>
            <option value="teachers">Teachers</option>
            <option value="bookings">Bookings</option>
          </select>
        </Field>
        <Field id="csv-file" label="CSV file" hint="UTF-8, with a header row.">
          <input
            type="file"
            accept=".csv,text/csv"
            {...describedBy('csv-file', undefined, 'hint')}
            onChange={(event) => {
              setFile(event.currentTarget.files?.[0] ?? null);
              setReport(null);
            }}
          />
        </Field>
      </div>
      <div class="actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void run(true)}>
          Preview CSV
        </button>
        <button type="button" disabled={!canImport} onClick={() => void run(false)}>
          Import CSV
        </button>
      </div>
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {report ? <CsvReportView report={report} /> : null}
    </section>
  );
}

function rowText(row: Schemas['CsvImportedRow']): string {
  if (row.kind === 'booking') {
    const when = row.start_local ? formatWall(wallClock(row.start_local)) : '';
    return `${when}, ${String(row.duration_min ?? '')} min in ${row.resource_id ?? 'primary'}, teacher ${String(row.teacher_id ?? '')}, student ${String(row.student_id ?? '')}`;
  }
  return [row.name, row.email].filter(Boolean).join(', ');
}

function CsvReportView({ report }: { report: CsvReport }) {
  const { created } = report;
  const counts = `${String(created.students)} students, ${String(created.teachers)} teachers, ${String(created.bookings)} bookings`;
  let summary: string;
  if (report.errors.length > 0) {
    summary = `${String(report.errors.length)} errors: nothing was written. Fix them and preview again.`;
  } else if (report.dry_run) {
    summary = `The file is valid and would create ${counts}.`;
  } else {
    summary = `Imported ${counts}.`;
  }

  return (
    <section aria-label="CSV report">
      <p role="status" data-testid="csv-summary">
        {summary}
      </p>
      {report.errors.length > 0 ? (
        <table class="report-table">
          <caption>Errors</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Column</th>
              <th scope="col">Value</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {report.errors.map((rowError, index) => (
              <tr key={`${String(rowError.line)}-${String(index)}`} class="has-conflict">
                <td>{rowError.line}</td>
                <td>{rowError.column ?? ''}</td>
                <td>{rowError.value ?? ''}</td>
                <td>{rowError.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {report.rows.length > 0 ? (
        <table class="report-table">
          <caption>{report.dry_run ? 'Valid rows' : 'Imported rows'}</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Kind</th>
              <th scope="col">Row</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.map((row) => (
              <tr key={row.line}>
                <td>{row.line}</td>
                <td>{row.kind}</td>
                <td>{rowText(row)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
