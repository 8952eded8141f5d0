/**
 * The agents' desktops: after an answered call an agent may report how it went, as a real agent
 * desktop or CRM would, through the dialer's signed `POST /webhooks/disposition`. Seeded per call, so
 * a run is reproducible; off unless `dispositions.rate` is above 0. Tests may also ask for one
 * precise disposition (`POST /_sim/dispositions`).
 */
import type { Logger } from '../logger';
import type { DispositionRecord, Ledger } from './ledger';
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

/** The webhook's body, as the contract has it. */
export interface DispositionReport {
  callId: string;
  agentId: string;
  code: string;
  callbackAt?: string;
  sameAgent?: boolean;
  note?: string;
}

export class DispositionDesk {
  constructor(
    private readonly deps: {
      profile: DispositionProfile;
      seed: number;
      /** Simulated seconds to real ms. */
      timeScale: number;
      webhooks: WebhookSender;
      ledger: Ledger;
      /** Undefined: nowhere to send, so no dispositions at all. */
      url: string | undefined;
      logger: Logger;
    },
  ) {}

  /** At the end of an answered call, as the agent's wrap-up starts. */
  afterAnsweredCall(callId: string, agentId: string): void {
    const { profile } = this.deps;
    if (profile.rate === 0) return;
    const rng = rngFor(this.deps.seed, `disposition:${callId}`);
    if (rng() >= profile.rate) return;
    const pick = rng();
    if (pick < profile.callbackRate) {
      // At least a simulated second ahead, so the callback is in the future when the dialer reads it.
      const afterMs = Math.max(1, uniform(rng, profile.callbackAfterSec)) * 1000 * this.deps.timeScale;
      const callbackAt = new Date(Date.now() + afterMs).toISOString();
      this.send({ callId, agentId, code: 'callback', callbackAt, sameAgent: rng() < profile.sameAgentRate });
    } else if (pick < profile.callbackRate + profile.doNotCallRate) {
      this.send({ callId, agentId, code: 'do-not-call' });
    } else {
      this.send({ callId, agentId, code: profile.codes[Math.floor(rng() * profile.codes.length)]! });
    }
  }

  /** Sends `report` as given and records it in the ledger; undefined when there is no URL to send to. */
  send(report: DispositionReport): DispositionRecord | undefined {
    const { url, ledger, logger, webhooks } = this.deps;
    if (url === undefined) return undefined;
    const record: DispositionRecord = {
      callId: report.callId,
      agentId: report.agentId,
      code: report.code,
      callbackAt: report.callbackAt === undefined ? null : Date.parse(report.callbackAt),
      sameAgent: report.sameAgent ?? null,
      note: report.note ?? null,
      sentAt: Date.now(),
    };
    ledger.disposition(record);
    logger.debug({ callId: report.callId, agentId: report.agentId, code: report.code }, 'disposition');
    webhooks.send(`disposition:${report.callId}`, url, report);
    return record;
  }
}
