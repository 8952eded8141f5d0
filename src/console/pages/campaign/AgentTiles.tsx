/** The campaign's agents, one tile each, coloured by state with the state's word; capped for big floors. */
import { AGENT_TILE_STATES, type AgentTile, type AgentTileState } from '../../../shared/types';
import { formatCount } from '../../format';
import { AGENT_STATE_WORDS } from '../../words';

const MAX_TILES = 1_000;

export function AgentTiles({ agents }: { agents: AgentTile[] | null }) {
  const counts = Object.fromEntries(AGENT_TILE_STATES.map((s) => [s, 0])) as Record<AgentTileState, number>;
  for (const agent of agents ?? []) counts[agent.state]++;
  return (
    <div class="card">
      <h2>Agents</h2>
      <ul class="legend" aria-label="Agents by state">
        {AGENT_TILE_STATES.map((state) => (
          <li key={state}>
            <span class={`swatch tile-${state}`} aria-hidden="true" />
            {AGENT_STATE_WORDS[state]}: <strong data-testid={`agent-count-${state}`}>{formatCount(counts[state])}</strong>
          </li>
        ))}
      </ul>
      {agents === null ? (
        <p class="muted">Loading agents…</p>
      ) : agents.length === 0 ? (
        <p class="empty">No agents yet.</p>
      ) : (
        <>
          <ul class="tiles" aria-label="Agents">
            {agents.slice(0, MAX_TILES).map((a) => (
              <li key={a.agentId} class={`tile tile-${a.state}`} data-testid="agent-tile" data-agent-id={a.agentId} data-state={a.state}>
                <span class="tile-id">{a.agentId}</span>
                <span class="tile-state">{AGENT_STATE_WORDS[a.state]}</span>
              </li>
            ))}
          </ul>
          {agents.length > MAX_TILES && <p class="muted">and {formatCount(agents.length - MAX_TILES)} more</p>}
        </>
      )}
    </div>
  );
}
