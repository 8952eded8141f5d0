/**
 * The agent system: each agent's status, as `GET /agents` lists it and as the webhook pushes it.
 * Wrap-up after an answered call shows as `busy`, as real agent systems report it.
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
    private readonly onChange: (agentId: string, status: AgentStatus) => void,
  ) {
    for (const id of ids) this.agents.set(id, { status: 'idle', heldBy: null });
  }

  has(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  statusOf(agentId: string): AgentStatus | undefined {
    return this.agents.get(agentId)?.status;
  }

  list(): AgentView[] {
    return [...this.agents].map(([id, a]) => ({ id, status: a.status }));
  }

  /** An operator's (or a test's) change; it overrides whatever a call set. */
  set(agentId: string, status: AgentStatus): void {
    const agent = this.require(agentId);
    agent.status = status;
    agent.heldBy = null;
    this.onChange(agentId, status);
  }

  /** A call was bridged to the agent. */
  occupy(agentId: string, callId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent) return;
    const changed = agent.status !== 'busy';
    agent.status = 'busy';
    agent.heldBy = callId;
    // Agent systems push changes, not restatements: busy -> busy (a double-booked agent) is silent.
    if (changed) this.onChange(agentId, 'busy');
  }

  /**
   * Wrap-up of `callId` is over. Only the call still holding the agent frees them: an operator who
   * set the agent offline meanwhile, or a later call bridged to them, keeps its status.
   */
  release(agentId: string, callId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent || agent.heldBy !== callId) return;
    agent.status = 'idle';
    agent.heldBy = null;
    this.onChange(agentId, 'idle');
  }

  private require(agentId: string): AgentState {
    const agent = this.agents.get(agentId);
    if (!agent) throw new UnknownAgentError(agentId);
    return agent;
  }
}
