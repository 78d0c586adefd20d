//! The Import screen: the calendar (.ics) import wizard, and CSV import and export.
import { CsvExport, CsvImport } from './CsvTransfer';
import { IcsImport } from './IcsImport';

export function ImportScreen({ zone }: { zone: string }) {
  return (
    <div class="import-screen">
      <IcsImport zone={zone} />
      <CsvImport />
      <CsvExport />
    </div>
  );
}
