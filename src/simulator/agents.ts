/**
 * The agent system: each agent's status, as `GET /agents` lists it and as the webhook pushes it.
 * Wrap-up after an answered call shows as `busy`, as real agent systems report it. It also keeps
 * when the dialer was first told of each status, so the ledger can judge calls placed after that.
 */
import type { AgentStatus } from '../shared/types';

export interface AgentView {
  id: string;
  status: AgentStatus;
}

interface AgentState {
  status: AgentStatus;
  /** The call that made this agent busy; cleared when anyone else sets the status. */
  heldBy: string | null;
  /** Bumped on every change, so a late webhook acknowledgement is matched to its own change. */
  version: number;
  /** Epoch ms the dialer first learnt the current status (webhook accepted, or a listing served). */
  reportedAt: number | null;
}

export interface AgentChange {
  agentId: string;
  status: AgentStatus;
  version: number;
}

export class UnknownAgentError extends Error {
  constructor(readonly agentId: string) {
    super(`unknown agent ${agentId}`);
  }
}

export class AgentDirectory {
  private readonly agents = new Map<string, AgentState>();

  constructor(
    ids: readonly string[],
    private readonly onChange: (change: AgentChange) => void,
  ) {
    for (const id of ids) this.agents.set(id, { status: 'idle', heldBy: null, version: 0, reportedAt: null });
  }

  has(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  /** The agent's status, whether a call holds them, and since when the dialer knows the status. */
  inspect(agentId: string): Readonly<Pick<AgentState, 'status' | 'heldBy' | 'reportedAt'>> | undefined {
    const agent = this.agents.get(agentId);
    return agent && { status: agent.status, heldBy: agent.heldBy, reportedAt: agent.reportedAt };
  }

  /** The listing served to the dialer: from now on it knows every status listed. */
  list(now = Date.now()): AgentView[] {
    return [...this.agents].map(([id, a]) => {
      a.reportedAt ??= now;
      return { id, status: a.status };
    });
  }

  /** The dialer accepted the webhook of `change`; a later change since then is not yet known. */
  markReported(change: AgentChange, at = Date.now()): void {
    const agent = this.agents.get(change.agentId);
    if (agent && agent.version === change.version) agent.reportedAt ??= at;
  }

  /** An operator's (or a test's) change; it overrides whatever a call set. */
  set(agentId: string, status: AgentStatus): void {
    const agent = this.require(agentId);
    agent.heldBy = null;
    this.change(agentId, agent, status);
  }

  /** A call was bridged to the agent. */
  occupy(agentId: string, callId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent) return;
    agent.heldBy = callId;
    // Agent systems push changes, not restatements: busy -> busy (a double-booked agent) is silent.
    if (agent.status !== 'busy') this.change(agentId, agent, 'busy');
  }

  /**
   * Wrap-up of `callId` is over. Only the call still holding the agent frees them: an operator who
   * set the agent offline meanwhile, or a later call bridged to them, keeps its status. True if freed.
   */
  release(agentId: string, callId: string): boolean {
    const agent = this.agents.get(agentId);
    if (!agent || agent.heldBy !== callId) return false;
    agent.heldBy = null;
    this.change(agentId, agent, 'idle');
    return true;
  }

  private change(agentId: string, agent: AgentState, status: AgentStatus): void {
    agent.status = status;
    agent.version++;
    agent.reportedAt = null;
    this.onChange({ agentId, status, version: agent.version });
  }

  private require(agentId: string): AgentState {
    const agent = this.agents.get(agentId);
    if (!agent) throw new UnknownAgentError(agentId);
    return agent;
  }
}
