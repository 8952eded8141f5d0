/**
 * Live feeds shared by every page that watches the same thing: one poll loop per key (a campaign,
 * or the campaign list), however many streams are open on it, so the server's cost grows with what
 * is watched, not with the pages watching. Each event goes out only when its data changed; a page
 * that joins gets the latest of each at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger';
import { eventStreamsOpen, type FEEDS, feedPolls } from '../metrics/api';
import { ApiError, toApiError } from './errors';
import type { EventStream } from './eventStream';

/** A feed's source: polled once per period until it says it is done (nothing more will change). */
export interface FeedSource {
  poll(emit: (event: string, data: unknown) => void): Promise<'more' | 'done'>;
}

/** Sent when a poll fails: the page says so and keeps the last data; `campaign_not_found` ends the stream. */
export const PROBLEM_EVENT = 'problem';

interface Feed {
  streams: Set<EventStream>;
  /** The last JSON sent of each event. */
  latest: Map<string, string>;
}

export interface SharedFeedsOptions<K extends string> {
  name: (typeof FEEDS)[number];
  periodMs: number;
  /** A new source each time a key goes from unwatched to watched. */
  sourceFor(key: K): FeedSource;
  logger: Logger;
}

export class SharedFeeds<K extends string> {
  private readonly feeds = new Map<K, Feed>();
  private readonly stopped = new AbortController();

  constructor(private readonly options: SharedFeedsOptions<K>) {}

  get streamCount(): number {
    let n = 0;
    for (const feed of this.feeds.values()) n += feed.streams.size;
    return n;
  }

  subscribe(key: K, stream: EventStream): void {
    let feed = this.feeds.get(key);
    const start = feed === undefined;
    if (!feed) {
      feed = { streams: new Set(), latest: new Map() };
      this.feeds.set(key, feed);
    }
    feed.streams.add(stream);
    eventStreamsOpen.inc({ feed: this.options.name });
    for (const [event, json] of feed.latest) stream.send(event, JSON.parse(json));
    stream.onClose(() => {
      feed.streams.delete(stream);
      eventStreamsOpen.dec({ feed: this.options.name });
      if (feed.streams.size === 0 && this.feeds.get(key) === feed) this.feeds.delete(key);
    });
    if (start) void this.run(key, feed);
  }

  /** Ends every stream: the API is stopping. */
  close(): void {
    this.stopped.abort();
    for (const feed of [...this.feeds.values()]) for (const stream of [...feed.streams]) stream.end();
  }

  private async run(key: K, feed: Feed): Promise<void> {
    const { name, periodMs, sourceFor, logger } = this.options;
    const source = sourceFor(key);
    const emit = (event: string, data: unknown): void => {
      const json = JSON.stringify(data);
      if (feed.latest.get(event) === json) return;
      feed.latest.set(event, json);
      for (const stream of feed.streams) stream.send(event, data);
    };
    const watched = (): boolean => feed.streams.size > 0 && !this.stopped.signal.aborted;
    while (watched()) {
      feedPolls.inc({ feed: name });
      try {
        const next = await source.poll(emit);
        // Problems are news only while they last.
        feed.latest.delete(PROBLEM_EVENT);
        if (next === 'done') return;
      } catch (err) {
        const apiError = toApiError(err);
        if (apiError.status >= 500) logger.warn({ feed: name, key, err: String(err), cause: String((err as Error).cause ?? '') }, 'console feed poll failed');
        emit(PROBLEM_EVENT, apiError.toBody());
        if (isFinal(apiError)) {
          for (const stream of [...feed.streams]) stream.end();
          return;
        }
      }
      await sleep(periodMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
    }
  }
}

/** Nothing will change by polling again: the thing watched does not exist. */
function isFinal(err: ApiError): boolean {
  return err.status === 404;
}
