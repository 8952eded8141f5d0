/** The list itself, a page at a time, oldest first (the API's order). */
import { useEffect, useState } from 'preact/hooks';
import { apiJson, isAbort } from '../../api/http';
import type { DncPage } from '../../api/types';
import { FormAlert } from '../../components/Messages';
import { Pager, useCursorPages } from '../../components/Pager';
import { formatDateTime } from '../../format';

const PAGE_SIZE = 50;

interface DncListProps {
  version: number;
  onRemove(phone: string): void;
}

export function DncList({ version, onRemove }: DncListProps) {
  const pages = useCursorPages();
  const [page, setPage] = useState<DncPage | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const { reset } = pages;

  // A change to the list starts over at its first page.
  useEffect(reset, [version, reset]);
  useEffect(() => {
    const abort = new AbortController();
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }) });
    apiJson<DncPage>('/dnc', { query, signal: abort.signal }).then(
      (read) => {
        setPage(read);
        setProblem(null);
      },
      (err: unknown) => {
        if (!isAbort(err)) setProblem(err instanceof Error ? err.message : String(err));
      },
    );
    return () => abort.abort();
  }, [pages.cursor, version]);

  return (
    <div class="card">
      <h2>Numbers on the list</h2>
      <FormAlert messages={problem === null ? [] : [problem]} testId="dnc-list-alert" />
      {page === null ? (
        <p class="muted">Loading the list…</p>
      ) : page.entries.length === 0 ? (
        <p class="empty">The list is empty.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="dnc-table">
            <caption class="sr-only">Numbers on the do-not-call list, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Reason</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span class="sr-only">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.entries.map((e) => (
                <tr key={e.phone} data-testid="dnc-row" data-phone={e.phone}>
                  <td class="mono">{e.phone}</td>
                  <td>{e.reason ?? '–'}</td>
                  <td>{formatDateTime(e.addedAt)}</td>
                  <td class="actions">
                    <button type="button" class="button danger-outline small" aria-label={`Remove ${e.phone} from the list`} onClick={() => onRemove(e.phone)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page !== null && <Pager pages={pages} nextCursor={page.nextCursor} what="the list" />}
    </div>
  );
}
