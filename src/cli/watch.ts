/** `status --watch`: polls the campaign until it ends, with a live bar on stderr when it is a terminal. */
import { SingleBar } from 'cli-progress';
import type { CampaignProgress } from '../shared/types';
import { ApiUnavailable, type DialerClient } from './client';
import { formatAgents, formatOutcomes } from './format';
import { retryTransient, sleep } from './retry';

export interface WatchOptions {
  intervalMs: number;
  /** Where to draw the live bar (stderr, when it is a terminal); without it, poll silently and report only the end. */
  barStream?: NodeJS.WritableStream;
  /** How long polls may keep failing with 5xx/network errors before giving up (an API restart is survivable). */
  outageToleranceMs: number;
  /** Set on SIGINT: stop polling at the next turn. */
  signal?: AbortSignal;
}

function payloadOf(p: CampaignProgress): Record<string, string> {
  return { status: p.status, outcomes: formatOutcomes(p.outcomes), agents: formatAgents(p.agents) };
}

/** Resolves with the last progress seen: ended (completedAt set), or the latest one when aborted. */
export async function watchCampaign(
  client: DialerClient,
  campaignId: string,
  options: WatchOptions,
): Promise<CampaignProgress> {
  // The first read fails fast: a wrong id or a dead API is reported at once, not after the tolerance.
  let progress = await client.progress(campaignId);
  if (progress.completedAt !== null) return progress;

  const bar = options.barStream
    ? new SingleBar({
        format: ' {bar} {value}/{total} {status} | {outcomes} | agents: {agents}',
        stream: options.barStream,
        hideCursor: true,
        clearOnComplete: false,
      })
    : undefined;
  bar?.start(progress.total, progress.finished, payloadOf(progress));
  try {
    while (progress.completedAt === null && !options.signal?.aborted) {
      await sleep(options.intervalMs, options.signal);
      if (options.signal?.aborted) break;
      const next = await retryTransient(() => client.progress(campaignId), {
        transient: (err) => err instanceof ApiUnavailable,
        retryMs: options.intervalMs,
        toleranceMs: options.outageToleranceMs,
        signal: options.signal,
      });
      if (next === undefined) break;
      progress = next;
      bar?.setTotal(progress.total);
      bar?.update(progress.finished, payloadOf(progress));
    }
  } finally {
    bar?.stop();
  }
  return progress;
}
