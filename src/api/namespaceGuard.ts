/** POST /campaigns refuses with a 503 naming what is missing while the namespace lacks what campaigns need. */
import type { Client } from '@temporalio/client';
import { namespaceStatus, type NamespaceStatus } from '../temporal/namespaceSetup';
import { cachedFor } from './cachedFor';
import { ApiError } from './errors';
import { withDeadline } from './temporal';

/** Asked of Temporal at most this often: an operator who adds the attributes is heard within seconds. */
const CHECK_TTL_MS = 5_000;

export type NamespaceGuard = () => Promise<void>;

export function namespaceGuard(client: Client, namespace: string): NamespaceGuard {
  const status = cachedFor(CHECK_TTL_MS, () => withDeadline(client, () => namespaceStatus(client.connection, namespace)));
  return async () => {
    const found: NamespaceStatus = await status();
    if (!found.ready) {
      throw new ApiError('temporal_not_set_up', found.problem, {
        namespace,
        namespaceMissing: found.namespaceMissing,
        missingSearchAttributes: found.missing.map((a) => a.name),
      });
    }
  };
}
