/**
 * The telephony provider's calls: placement (idempotent by callId), the agent rules checked at
 * placement, and each call's lifecycle played on the simulated clock.
 */
import type { Logger } from '../logger';
import { maskPhone } from '../shared/mask';
import { isTerminalCallStatus, type CallStatus, type CallStatusReport } from '../shared/types';
import type { AgentDirectory } from './agents';
import type { SimClock } from './clock';
import type { CallRecord, Ledger } from './ledger';
import { rngFor, uniform, type Rng } from './rng';
import type { WebhookSender } from './webhooks';

export interface PlaceCallRequest {
  callId: string;
  to: string;
  agentId: string;
  campaignId: string;
  statusCallbackUrl: string;
}

export interface CallProfile {
  answerRate: number;
  busyRate: number;
  failRate: number;
  ringSec: readonly [number, number];
  talkSec: readonly [number, number];
  wrapUpSec: readonly [number, number];
}

/** Simulated seconds from `initiated` to `ringing`. */
const RINGING_AFTER_SEC = 1;
/** A failed call (bad route, carrier error) ends almost at once. */
const FAILED_AFTER_SEC = 0.5;
/** A busy line is signalled after a short ring. */
const BUSY_AFTER_SEC: readonly [number, number] = [1, 3];

export type CallPlan =
  | { outcome: 'answered'; ringSec: number; talkSec: number; wrapUpSec: number }
  | { outcome: 'busy' | 'failed' | 'no-answer'; ringSec: number };

export function planCall(rng: Rng, p: CallProfile): CallPlan {
  const u = rng();
  if (u < p.answerRate) {
    return {
      outcome: 'answered',
      ringSec: uniform(rng, p.ringSec),
      // Whole seconds, as providers bill and report them.
      talkSec: Math.round(uniform(rng, p.talkSec)),
      wrapUpSec: uniform(rng, p.wrapUpSec),
    };
  }
  if (u < p.answerRate + p.busyRate) return { outcome: 'busy', ringSec: uniform(rng, BUSY_AFTER_SEC) };
  if (u < p.answerRate + p.busyRate + p.failRate) return { outcome: 'failed', ringSec: FAILED_AFTER_SEC };
  return { outcome: 'no-answer', ringSec: p.ringSec[1] };
}

export interface CallEngineDeps {
  ledger: Ledger;
  agents: AgentDirectory;
  webhooks: WebhookSender;
  clock: SimClock;
  profile: CallProfile;
  seed: number;
  /**
   * How long after the dialer learnt that an agent is busy or offline a call placed for them is still
   * excused: the dialer may have decided on the call just before it was told.
   */
  agentReportGraceMs: number;
  logger: Logger;
  /** An answered call has ended: its agent's desktop may report a disposition. */
  onAnsweredEnd?: (callId: string, agentId: string) => void;
}

export class CallEngine {
  private readonly requests = new Map<string, PlaceCallRequest>();
  private placed = 0;

  constructor(private readonly deps: CallEngineDeps) {}

  /** Places the call, or (same callId again) answers with the call already placed. */
  place(req: PlaceCallRequest): { providerCallId: string; replay: boolean } {
    const { ledger, logger } = this.deps;
    const existing = ledger.get(req.callId);
    if (existing) {
      ledger.replay();
      this.checkReplay(req, existing);
      logger.info({ callId: req.callId, providerCallId: existing.providerCallId }, 'idempotent replay');
      return { providerCallId: existing.providerCallId, replay: true };
    }

    const now = Date.now();
    this.checkAgentRules(req, now);
    const record: Omit<CallRecord, 'firstRequestedAt'> = {
      callId: req.callId,
      providerCallId: `sim-${String(++this.placed).padStart(6, '0')}`,
      to: req.to,
      agentId: req.agentId,
      campaignId: req.campaignId,
      placedAt: now,
      status: 'initiated',
      outcome: null,
      answeredAt: null,
      endedAt: null,
      wrapUpEndedAt: null,
      durationSec: null,
    };
    ledger.add(record);
    this.requests.set(req.callId, req);
    const plan = planCall(rngFor(this.deps.seed, req.callId), this.deps.profile);
    logger.info(
      { callId: req.callId, providerCallId: record.providerCallId, agentId: req.agentId, toMasked: maskPhone(req.to) },
      'call placed',
    );
    this.report(req.callId, 'initiated');
    this.play(req.callId, plan);
    return { providerCallId: record.providerCallId, replay: false };
  }

  lookup(callId: string): Required<Omit<CallStatusReport, 'timestamp'>> | undefined {
    const record = this.deps.ledger.get(callId);
    if (!record) return undefined;
    return { callId, status: record.status, durationSec: record.durationSec ?? 0 };
  }

  private play(callId: string, plan: CallPlan): void {
    const { clock, agents } = this.deps;
    clock.after(RINGING_AFTER_SEC, () => {
      this.transition(callId, 'ringing');
      if (plan.outcome !== 'answered') {
        clock.after(plan.ringSec, () => this.transition(callId, plan.outcome));
        return;
      }
      clock.after(plan.ringSec, () => {
        this.transition(callId, 'answered');
        const { agentId } = this.requests.get(callId)!;
        agents.occupy(agentId, callId);
        clock.after(plan.talkSec, () => {
          this.transition(callId, 'completed', plan.talkSec);
          this.deps.onAnsweredEnd?.(callId, agentId);
          clock.after(plan.wrapUpSec, () => {
            if (agents.release(agentId, callId)) this.deps.ledger.update(callId, { wrapUpEndedAt: Date.now() });
          });
        });
      });
    });
  }

  private transition(callId: string, status: CallStatus, durationSec?: number): void {
    const now = Date.now();
    const patch: Partial<CallRecord> = { status };
    if (status === 'answered') patch.answeredAt = now;
    if (isTerminalCallStatus(status)) {
      patch.outcome = status;
      patch.endedAt = now;
      patch.durationSec = durationSec ?? 0;
    }
    this.deps.ledger.update(callId, patch);
    this.deps.logger.debug({ callId, status }, 'call status');
    this.report(callId, status, patch.durationSec ?? undefined);
  }

  private report(callId: string, status: CallStatus, durationSec?: number): void {
    const req = this.requests.get(callId);
    if (!req) return;
    const body: CallStatusReport = { callId, status, timestamp: new Date().toISOString() };
    if (durationSec !== undefined) body.durationSec = durationSec;
    this.deps.webhooks.send(`call:${callId}`, req.statusCallbackUrl, body);
  }

  /** Broken rules are recorded, not refused: a real provider would place the call anyway. */
  private checkAgentRules(req: PlaceCallRequest, at: number): void {
    const { ledger, agents, logger } = this.deps;
    const { callId, agentId } = req;
    const found: Array<{ type: 'agent-double-booked' | 'agent-not-idle' | 'unknown-agent'; detail: string }> = [];
    const agent = agents.inspect(agentId);
    if (!agent) {
      found.push({ type: 'unknown-agent', detail: `agent ${agentId} is not in the agent system` });
    } else if (agent.status !== 'idle') {
      // Held by a call: the dialer knows from the call itself (reserved, or wrapping up after it).
      const held = agent.heldBy !== null;
      const knownFor = agent.reportedAt === null ? null : at - agent.reportedAt;
      if (held || (knownFor !== null && knownFor > this.deps.agentReportGraceMs)) {
        const why = held ? `held by ${agent.heldBy}` : `reported ${knownFor} ms before`;
        found.push({ type: 'agent-not-idle', detail: `agent ${agentId} is ${agent.status} (${why})` });
      }
    }
    const live = ledger.liveCallsOf(agentId);
    if (live.length > 0) {
      found.push({ type: 'agent-double-booked', detail: `agent ${agentId} is still on ${live.join(', ')}` });
    }
    for (const v of found) {
      ledger.violation({ ...v, callId, agentId, at });
      logger.warn({ callId, agentId, violation: v.type }, v.detail);
    }
  }

  private checkReplay(req: PlaceCallRequest, existing: CallRecord): void {
    const first = this.requests.get(req.callId);
    const same =
      first !== undefined &&
      first.to === req.to &&
      first.agentId === req.agentId &&
      first.campaignId === req.campaignId &&
      first.statusCallbackUrl === req.statusCallbackUrl;
    if (same) return;
    const detail = `callId ${req.callId} repeated with a different body; the first call stands`;
    const { callId } = req;
    const at = Date.now();
    this.deps.ledger.violation({ type: 'idempotency-conflict', callId, agentId: existing.agentId, at, detail });
    this.deps.logger.warn({ callId: req.callId }, detail);
  }
}
