/**
 * Signed, at-least-once webhook delivery. Each queue key (one call, one agent) has its own FIFO so
 * a later status is never sent before an earlier one was accepted, while different calls proceed
 * in parallel.
 */
import { createHmac } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger';
import type { FaultSwitch } from './faults';

export interface WebhookRetryPolicy {
  maxAttempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export interface WebhookSenderOptions {
  secret?: string;
  retry: WebhookRetryPolicy;
  /** Chaos: deliveries dropped, duplicated, delayed or sent out of order on purpose. */
  faults: FaultSwitch;
  logger: Logger;
}

export interface WebhookStats {
  delivered: number;
  /** Given up after failed deliveries. */
  dropped: number;
  pending: number;
}

/** Deliberately independent of the API's signing code: the simulator is the oracle that checks it. */
export function signWebhook(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** 4xx other than 408/429 means the receiver refused the content: resending it cannot help. */
function isPermanentRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export class WebhookSender {
  private readonly queues = new Map<string, Promise<void>>();
  private outOfOrder = 0;
  private readonly abort = new AbortController();
  // Own agents, so stop() can close their keep-alive sockets instead of leaving them to linger.
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly stats: WebhookStats = { delivered: 0, dropped: 0, pending: 0 };

  constructor(private readonly options: WebhookSenderOptions) {
    // Every delivery in flight listens on the one stop signal: hundreds at once are normal here.
    setMaxListeners(0, this.abort.signal);
  }

  /** `onAccepted` runs once, when the receiver first accepts a copy (2xx). */
  send(queueKey: string, url: string, body: object, onAccepted?: () => void): void {
    if (this.abort.signal.aborted) return;
    const raw = JSON.stringify(body);
    const plan = this.options.faults.webhookPlan();
    if (plan.copies === 0) {
      this.options.logger.debug({ queueKey, url }, 'webhook dropped on purpose (chaos)');
      return;
    }
    let accepted = false;
    const once = (): void => {
      if (accepted) return;
      accepted = true;
      onAccepted?.();
    };
    // Out of order: its own queue, so deliveries queued after it may go first.
    const key = plan.reorder ? `${queueKey}#${++this.outOfOrder}` : queueKey;
    for (let i = 0; i < plan.copies; i++) this.enqueue(key, url, raw, plan.delayMs, once);
  }

  get counts(): WebhookStats {
    return { ...this.stats };
  }

  /** Resolves once every queued delivery has finished (accepted or given up). */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.idle();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private enqueue(queueKey: string, url: string, raw: string, delayMs: number, onAccepted: () => void): void {
    this.stats.pending++;
    const previous = this.queues.get(queueKey) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (delayMs > 0) await sleep(delayMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (await this.deliver(queueKey, url, raw)) onAccepted();
    });
    this.queues.set(queueKey, next);
    void next.then(() => {
      this.stats.pending--;
      if (this.queues.get(queueKey) === next) this.queues.delete(queueKey);
    });
  }

  /** Never rejects: a delivery ends accepted (true), refused, out of attempts, or stopped. */
  private async deliver(queueKey: string, url: string, raw: string): Promise<boolean> {
    const { retry, logger } = this.options;
    const signal = this.abort.signal;
    for (let attempt = 1; attempt <= retry.maxAttempts && !signal.aborted; attempt++) {
      let outcome: string;
      try {
        const status = await this.post(url, raw);
        if (status >= 200 && status < 300) {
          this.stats.delivered++;
          return true;
        }
        if (isPermanentRefusal(status)) {
          this.stats.dropped++;
          logger.warn({ queueKey, url, status, body: raw }, 'webhook refused; not retried');
          return false;
        }
        outcome = `HTTP ${status}`;
      } catch (err) {
        if (signal.aborted) break;
        outcome = err instanceof Error ? err.message : String(err);
      }
      if (attempt === retry.maxAttempts) break;
      const delay = this.backoff(attempt);
      logger.debug({ queueKey, url, attempt, outcome, delayMs: delay }, 'webhook failed; retrying');
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        break; // stopped
      }
    }
    this.stats.dropped++;
    if (!signal.aborted) logger.warn({ queueKey, url, attempts: retry.maxAttempts }, 'webhook given up');
    return false;
  }

  /** Exponential with jitter in [d/2, d]: retries from many calls do not arrive in lockstep. */
  private backoff(attempt: number): number {
    const { minDelayMs, maxDelayMs } = this.options.retry;
    const d = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
    return Math.round(d / 2 + (d / 2) * Math.random());
  }

  private post(url: string, raw: string): Promise<number> {
    const target = new URL(url);
    const isHttps = target.protocol === 'https:';
    // Signed per attempt: a retry after a long backoff must still pass the receiver's 300 s window.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(raw),
      'X-Dialer-Timestamp': timestamp,
    };
    if (this.options.secret) headers['X-Dialer-Signature'] = signWebhook(this.options.secret, timestamp, raw);
    return new Promise<number>((resolve, reject) => {
      const req = (isHttps ? https : http).request(target, {
        method: 'POST',
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        signal: this.abort.signal,
        timeout: this.options.retry.timeoutMs,
      });
      req.on('response', (res) => {
        res.resume(); // drain so the keep-alive socket is reused
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(raw);
    });
  }
}
