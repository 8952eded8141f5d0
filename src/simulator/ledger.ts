/**
 * The ground truth of what the dialer asked for: every call placed, and every agent rule the
 * dialer broke while placing them; and what the agents told it (dispositions), so a test can check a
 * callback against the call that followed it. Tests and benchmarks judge the dialer by this, not by
 * its own view.
 */
import type { CallStatus, TerminalCallStatus } from '../shared/types';

export interface CallRecord {
  callId: string;
  providerCallId: string;
  to: string;
  agentId: string;
  campaignId: string;
  /** Epoch ms. */
  placedAt: number;
  /** Epoch ms of the first `POST /calls` for this callId, even one that failed or hung. */
  firstRequestedAt: number;
  status: CallStatus;
  outcome: TerminalCallStatus | null;
  answeredAt: number | null;
  endedAt: number | null;
  /** Answered calls: epoch ms the agent's wrap-up ended (null before, or if someone else set the agent meanwhile). */
  wrapUpEndedAt: number | null;
  durationSec: number | null;
}

export type ViolationType = 'agent-double-booked' | 'agent-not-idle' | 'unknown-agent' | 'idempotency-conflict';

export interface Violation {
  type: ViolationType;
  callId: string;
  agentId: string;
  /** Epoch ms. */
  at: number;
  detail: string;
}

/** A disposition an agent's desktop sent to the dialer (`POST /webhooks/disposition`). */
export interface DispositionRecord {
  callId: string;
  agentId: string;
  code: string;
  /** Epoch ms, as sent (callbacks); null when the disposition had none. */
  callbackAt: number | null;
  sameAgent: boolean | null;
  note: string | null;
  /** Epoch ms it was queued for delivery. */
  sentAt: number;
}

export interface LedgerSnapshot {
  calls: CallRecord[];
  violations: Violation[];
  replays: number;
  /** In the order sent. */
  dispositions: DispositionRecord[];
}

export class Ledger {
  private readonly calls = new Map<string, CallRecord>();
  private readonly liveByAgent = new Map<string, Set<string>>();
  private readonly violations: Violation[] = [];
  private readonly firstRequests = new Map<string, number>();
  private readonly dispositions: DispositionRecord[] = [];
  private replays = 0;

  get(callId: string): CallRecord | undefined {
    return this.calls.get(callId);
  }

  /** A `POST /calls` arrived for `callId`, before any fault or placement. */
  requested(callId: string, at = Date.now()): void {
    if (!this.calls.has(callId) && !this.firstRequests.has(callId)) this.firstRequests.set(callId, at);
  }

  add(record: Omit<CallRecord, 'firstRequestedAt'>): void {
    const firstRequestedAt = this.firstRequests.get(record.callId) ?? record.placedAt;
    this.firstRequests.delete(record.callId);
    this.calls.set(record.callId, { ...record, firstRequestedAt });
    if (record.endedAt === null) this.liveSet(record.agentId).add(record.callId);
  }

  /** Calls of this agent that have not ended, in placement order. */
  liveCallsOf(agentId: string): string[] {
    return [...(this.liveByAgent.get(agentId) ?? [])];
  }

  update(callId: string, patch: Partial<Omit<CallRecord, 'callId'>>): void {
    const record = this.calls.get(callId);
    if (!record) return;
    Object.assign(record, patch);
    if (record.endedAt !== null) {
      const live = this.liveByAgent.get(record.agentId);
      live?.delete(callId);
      if (live?.size === 0) this.liveByAgent.delete(record.agentId);
    }
  }

  violation(v: Violation): void {
    this.violations.push(v);
  }

  replay(): void {
    this.replays++;
  }

  disposition(d: DispositionRecord): void {
    this.dispositions.push(d);
  }

  get size(): number {
    return this.calls.size;
  }

  get liveCount(): number {
    let n = 0;
    for (const set of this.liveByAgent.values()) n += set.size;
    return n;
  }

  /** A copy: callers may keep or mutate it without touching the simulator's state. */
  snapshot(): LedgerSnapshot {
    return {
      calls: [...this.calls.values()].map((c) => ({ ...c })),
      violations: this.violations.map((v) => ({ ...v })),
      replays: this.replays,
      dispositions: this.dispositions.map((d) => ({ ...d })),
    };
  }

  private liveSet(agentId: string): Set<string> {
    let set = this.liveByAgent.get(agentId);
    if (!set) {
      set = new Set();
      this.liveByAgent.set(agentId, set);
    }
    return set;
  }
}
