/**
 * The server's dry run of an import (POST /campaigns?dryRun=true): scheduled after a pause in
 * typing, the one before it cancelled, so that only the latest settings' answer is shown.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, apiJson, isAbort } from '../../api/http';
import type { DryRunReply } from '../../api/types';
import type { DryRun } from './DryRunResult';

export function useDryRun(onRefused: (err: unknown) => void) {
  const [dryRun, setDryRun] = useState<DryRun>({ state: 'none' });
  const pending = useRef<{ timer?: number; abort?: AbortController }>({});
  const cancel = () => {
    window.clearTimeout(pending.current.timer);
    pending.current.abort?.abort();
  };
  useEffect(() => cancel, []);

  /** `query` is read when the run starts, so that it has the settings as they are then. */
  const schedule = (file: File, query: () => URLSearchParams, delayMs: number) => {
    cancel();
    pending.current.timer = window.setTimeout(() => {
      const abort = new AbortController();
      pending.current.abort = abort;
      setDryRun({ state: 'checking' });
      const params = query();
      params.set('dryRun', 'true');
      apiJson<DryRunReply>('/campaigns', { method: 'POST', query: params, csv: file, signal: abort.signal }).then(
        (reply) => setDryRun({ state: 'done', reply }),
        (err: unknown) => {
          if (isAbort(err)) return;
          setDryRun({ state: 'failed', rejected: err instanceof ApiError ? err.rejected : [] });
          onRefused(err);
        },
      );
    }, delayMs);
  };
  return { dryRun, schedule };
}
