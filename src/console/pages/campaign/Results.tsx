/**
 * Per-number results, one page (50) at a time: campaigns hold 100,000+ numbers, so nothing loads
 * them all. Filters by status and outcome; the export downloads the same filters as CSV.
 */
import { useEffect, useState } from 'preact/hooks';
import { OUTCOMES, type Outcome } from '../../../shared/types';
import { apiJson, isAbort } from '../../api/http';
import type { CallsPage, NumberStatus } from '../../api/types';
import { FormAlert, Status } from '../../components/Messages';
import { Pager, useCursorPages } from '../../components/Pager';
import { downloadFile } from '../../download';
import { formatDateTime, formatSeconds } from '../../format';
import { NUMBER_STATUS_WORDS, OUTCOME_WORDS } from '../../words';
import { NumberSearch } from './NumberSearch';

const PAGE_SIZE = 50;

interface ResultsProps {
  campaignId: string;
  /** Changes when the campaign ends: the page is read again then. */
  endedAt: string | null;
}

export function Results({ campaignId, endedAt }: ResultsProps) {
  const [status, setStatus] = useState<NumberStatus | ''>('');
  const [outcome, setOutcome] = useState<Outcome | ''>('');
  const pages = useCursorPages();
  const [page, setPage] = useState<CallsPage | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<string | null>(null);

  const filters = new URLSearchParams({ ...(status === '' ? {} : { status }), ...(outcome === '' ? {} : { outcome }) });
  const filterKey = filters.toString();

  useEffect(() => {
    const abort = new AbortController();
    const query = new URLSearchParams(filterKey);
    query.set('limit', String(PAGE_SIZE));
    if (pages.cursor !== undefined) query.set('cursor', pages.cursor);
    apiJson<CallsPage>(`/campaigns/${encodeURIComponent(campaignId)}/calls`, { query, signal: abort.signal }).then(
      (read) => {
        setPage(read);
        setProblem(null);
      },
      (err: unknown) => {
        if (!isAbort(err)) setProblem(err instanceof Error ? err.message : String(err));
      },
    );
    return () => abort.abort();
  }, [campaignId, filterKey, pages.cursor, reloads, endedAt]);

  const exportCsv = async () => {
    setExporting(true);
    setExported(null);
    try {
      await downloadFile(`/campaigns/${encodeURIComponent(campaignId)}/results.csv`, filters, `${campaignId}-results.csv`);
      setExported('The results file is downloaded.');
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setExporting(false);
    }
  };

  return (
    <div class="card">
      <h2>Results by number</h2>
      <NumberSearch campaignId={campaignId} />
      <div class="toolbar">
        <label for="results-status">Status</label>
        <select
          id="results-status"
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value as NumberStatus | '');
            pages.reset();
          }}
        >
          <option value="">All</option>
          {(Object.keys(NUMBER_STATUS_WORDS) as NumberStatus[]).map((s) => (
            <option key={s} value={s}>
              {NUMBER_STATUS_WORDS[s]}
            </option>
          ))}
        </select>
        <label for="results-outcome">Outcome</label>
        <select
          id="results-outcome"
          value={outcome}
          onChange={(e) => {
            setOutcome(e.currentTarget.value as Outcome | '');
            pages.reset();
          }}
        >
          <option value="">All</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {OUTCOME_WORDS[o]}
            </option>
          ))}
        </select>
        <button type="button" class="button secondary" onClick={() => setReloads((n) => n + 1)}>
          Refresh
        </button>
        <button type="button" class="button" disabled={exporting} onClick={() => void exportCsv()} data-testid="export-csv">
          {exporting ? 'Preparing…' : 'Export CSV'}
        </button>
      </div>
      <Status testId="results-status-message">{exported}</Status>
      <FormAlert messages={problem === null ? [] : [problem]} testId="results-alert" />
      {page === null ? (
        <p class="muted">Loading results…</p>
      ) : page.calls.length === 0 ? (
        <p class="empty">No numbers match these filters.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="results-table">
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Attempts</th>
                <th scope="col">Last outcome</th>
                <th scope="col">Agent</th>
                <th scope="col" class="num">Talk time</th>
                <th scope="col">Agent’s note</th>
                <th scope="col">Last dialled</th>
                <th scope="col">Ended</th>
              </tr>
            </thead>
            <tbody>
              {page.calls.map((r) => (
                <tr key={r.index} data-testid="result-row" data-number={r.number}>
                  <td class="mono">{r.number}</td>
                  <td>{NUMBER_STATUS_WORDS[r.status]}</td>
                  <td class="num">{r.attempts}</td>
                  <td>{r.lastOutcome === null ? '–' : OUTCOME_WORDS[r.lastOutcome]}</td>
                  <td>{r.agentId ?? '–'}</td>
                  <td class="num">{formatSeconds(r.talkSec)}</td>
                  <td>{r.disposition ?? '–'}</td>
                  <td>{formatDateTime(r.lastDialledAt)}</td>
                  <td>{formatDateTime(r.endedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page !== null && <Pager pages={pages} nextCursor={page.nextCursor} what="results" />}
    </div>
  );
}
