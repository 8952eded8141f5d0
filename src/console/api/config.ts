/** GET /console/config: whether a key is needed, and where the Temporal UI is. Needs no key. */
import { apiJson } from './http';
import type { ConsoleConfig } from './types';

export const loadConsoleConfig = (): Promise<ConsoleConfig> => apiJson<ConsoleConfig>('/console/config');

/** The campaign's workflow in the Temporal UI, or null when the server names no UI. */
export function temporalLink(config: ConsoleConfig, workflowId: string): string | null {
  if (config.temporalUiUrl === null) return null;
  const base = config.temporalUiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
