/**
 * Enough CSV for the preview of an upload's first rows: quoted fields, doubled quotes, line breaks
 * inside quotes, CRLF. The server parses the whole file itself (csv-parse) when it imports.
 */
export function parseCsvRows(text: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field.trim());
    // Blank lines are skipped, as the server skips them.
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
    field = '';
  };
  for (; i < text.length && rows.length < maxRows; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field.trim());
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else field += c;
  }
  if (rows.length < maxRows && (field !== '' || row.length > 0)) endRow();
  return rows;
}

/** How much of a file the preview reads: its first rows are in there, however big the file. */
const PREVIEW_BYTES = 64 * 1024;

/** The header and up to `rows` data rows; a row cut off by the read limit is left out. */
export async function previewCsv(file: File, rows: number): Promise<{ header: string[]; rows: string[][] }> {
  // One row more than shown: when the read stops short of it, the last row read may be cut.
  const parsed = parseCsvRows(await file.slice(0, PREVIEW_BYTES).text(), rows + 2);
  const cut = file.size > PREVIEW_BYTES && parsed.length < rows + 2;
  const [header = [], ...data] = cut ? parsed.slice(0, -1) : parsed;
  return { header, rows: data.slice(0, rows) };
}
