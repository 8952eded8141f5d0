/**
 * Cursor paging: the API hands out the next page's cursor; the cursors of the pages seen so far are
 * kept on a stack, so Previous goes back without the API paging backwards.
 */
import { useCallback, useState } from 'preact/hooks';

export interface CursorPages {
  /** The current page's cursor; undefined on the first page. */
  cursor: string | undefined;
  page: number;
  next(cursor: string): void;
  previous(): void;
  reset(): void;
}

export function useCursorPages(): CursorPages {
  const [stack, setStack] = useState<Array<string | undefined>>([undefined]);
  const next = useCallback((cursor: string) => setStack((s) => [...s, cursor]), []);
  const previous = useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []);
  const reset = useCallback(() => setStack([undefined]), []);
  return { cursor: stack.at(-1), page: stack.length, next, previous, reset };
}

interface PagerProps {
  pages: CursorPages;
  nextCursor: string | null;
  /** What is paged, for the buttons' names ("results", "numbers"). */
  what: string;
}

export function Pager({ pages, nextCursor, what }: PagerProps) {
  if (pages.page === 1 && nextCursor === null) return null;
  return (
    <nav class="pager" aria-label={`Pages of ${what}`}>
      <button type="button" class="button secondary" disabled={pages.page === 1} onClick={pages.previous} aria-label={`Previous page of ${what}`}>
        ← Previous
      </button>
      <span data-testid="page-number">Page {pages.page}</span>
      <button
        type="button"
        class="button secondary"
        disabled={nextCursor === null}
        onClick={() => nextCursor !== null && pages.next(nextCursor)}
        aria-label={`Next page of ${what}`}
      >
        Next →
      </button>
    </nav>
  );
}
