/** Numbers the API refused, with the reason in words; long lists are cut to their first rows. */
import type { RejectedNumber } from '../api/types';
import { formatCount } from '../format';
import { reasonWords } from '../words';

const SHOWN = 100;

export function RejectedTable({ rejected, caption }: { rejected: RejectedNumber[]; caption: string }) {
  if (rejected.length === 0) return null;
  return (
    <div class="table-wrap">
      <table class="table" data-testid="rejected-table">
        <caption>
          {caption}: {formatCount(rejected.length)}
          {rejected.length > SHOWN && ` (the first ${SHOWN} are shown)`}
        </caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            <th scope="col">Number as given</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {rejected.slice(0, SHOWN).map((r) => (
            <tr key={r.index} data-testid="rejected-row" data-reason={r.reason}>
              <td>{formatCount(r.index + 1)}</td>
              <td class="mono">{r.value === '' ? <span class="muted">(empty)</span> : r.value}</td>
              <td>{reasonWords(r.reason)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
