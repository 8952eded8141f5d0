/**
 * The agents' desktops: after an answered call an agent may report how it went, as a real agent
 * desktop or CRM would, through the dialer's signed `POST /webhooks/disposition`. Seeded per call, so
 * a run is reproducible; off unless `dispositions.rate` is above 0.
 */
import type { Logger } from '../logger';
import { rngFor, uniform } from './rng';
import type { WebhookSender } from './webhooks';

export interface DispositionProfile {
  /** Share of answered calls that get a disposition. */
  rate: number;
  /** Of those: share that ask a callback, and share that ask never to be called again. */
  callbackRate: number;
  doNotCallRate: number;
  /** A callback's time after the call, in simulated seconds. */
  callbackAfterSec: readonly [number, number];
  /** Share of callbacks for the same agent. */
  sameAgentRate: number;
  /** The other codes, picked evenly. */
  codes: readonly string[];
}

/** What an agent reported: the body sent, and when. */
export interface SentDisposition {
  callId: string;
  agentId: string;
  code: string;
  callbackAt?: string;
  sameAgent?: boolean;
  sentAt: number;
}

export class DispositionDesk {
  private readonly sent: SentDisposition[] = [];

  constructor(
    private readonly deps: {
      profile: DispositionProfile;
      seed: number;
      /** Simulated seconds to real ms. */
      timeScale: number;
      webhooks: WebhookSender;
      url: string | undefined;
      logger: Logger;
    },
  ) {}

  /** At the end of an answered call, as the agent's wrap-up starts. */
  afterAnsweredCall(callId: string, agentId: string): void {
    const { profile, url } = this.deps;
    if (url === undefined || profile.rate === 0) return;
    const rng = rngFor(this.deps.seed, `disposition:${callId}`);
    if (rng() >= profile.rate) return;
    const pick = rng();
    const now = Date.now();
    const body: Omit<SentDisposition, 'sentAt'> =
      pick < profile.callbackRate
        ? {
            callId,
            agentId,
            code: 'callback',
            callbackAt: new Date(now + Math.max(1, uniform(rng, profile.callbackAfterSec)) * 1000 * this.deps.timeScale).toISOString(),
            sameAgent: rng() < profile.sameAgentRate,
          }
        : pick < profile.callbackRate + profile.doNotCallRate
          ? { callId, agentId, code: 'do-not-call' }
          : { callId, agentId, code: profile.codes[Math.floor(rng() * profile.codes.length)] ?? 'done' };
    this.sent.push({ ...body, sentAt: now });
    this.deps.logger.debug({ callId, agentId, code: body.code }, 'disposition');
    this.deps.webhooks.send(`disposition:${callId}`, url, body);
  }

  snapshot(): SentDisposition[] {
    return this.sent.map((d) => ({ ...d }));
  }
}
