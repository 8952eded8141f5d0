/** The file's first rows as the browser reads them, so that the supervisor sees it is the right file. */
export function CsvPreview({ header, rows }: { header: string[]; rows: string[][] }) {
  if (header.length === 0) return null;
  return (
    <div class="table-wrap">
      <table class="table compact" data-testid="csv-preview">
        <caption>First rows of the file</caption>
        <thead>
          <tr>
            {header.map((name, i) => (
              <th scope="col" key={i}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r} data-testid="preview-row">
              {header.map((_name, i) => (
                <td key={i}>{row[i] ?? ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
