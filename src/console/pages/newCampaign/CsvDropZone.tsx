/** Where the CSV goes: dropped on the zone, or picked with the file input (the keyboard's way). */
import { useState } from 'preact/hooks';
import { FieldMessages } from '../../components/Field';
import { formatCount } from '../../format';

interface CsvDropZoneProps {
  file: File | null;
  problem: string | null;
  onFile(file: File): void;
}

export function CsvDropZone({ file, problem, onFile }: CsvDropZoneProps) {
  const [dragging, setDragging] = useState(false);
  const drop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer?.files[0];
    if (dropped) onFile(dropped);
  };
  const describedBy = ['csv-file-hint', ...(problem === null ? [] : ['csv-file-error'])].join(' ');
  return (
    <div
      class={dragging ? 'dropzone dragging' : 'dropzone'}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={drop}
    >
      <p class="dropzone-title">Drop a CSV file here</p>
      <label for="csv-file">or choose a file</label>
      <input
        id="csv-file"
        type="file"
        accept=".csv,text/csv"
        aria-describedby={describedBy}
        aria-invalid={problem === null ? undefined : 'true'}
        onChange={(e) => {
          const chosen = e.currentTarget.files?.[0];
          if (chosen) onFile(chosen);
        }}
        data-testid="csv-file"
      />
      <p id="csv-file-hint" class="hint">
        The first row names the columns; one must be <code>phone</code>. Other columns are kept with each number, and a{' '}
        <code>timezone</code> column sets a number’s time zone.
      </p>
      {file && (
        <p class="file-name" data-testid="file-name">
          {file.name} · {formatCount(Math.ceil(file.size / 1024))} KB
        </p>
      )}
      {problem !== null && <FieldMessages id="csv-file-error" messages={[problem]} />}
    </div>
  );
}
