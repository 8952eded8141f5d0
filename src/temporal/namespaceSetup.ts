/**
 * What the dialer needs of its Temporal namespace: the namespace, and the search attributes its
 * campaigns set (CampaignStatus, CampaignAgents). `namespaceStatus` says what is missing, with the
 * commands that add it; `setUpNamespace` adds it where the server allows (a self-hosted server's
 * OperatorService), and otherwise says exactly why not (Temporal Cloud, no permission).
 */
import { isGrpcServiceError, type OperatorService, type WorkflowService } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { Logger } from '../logger';
import { REQUIRED_SEARCH_ATTRIBUTES, type RequiredSearchAttribute } from '../workflows/searchAttributes';

/** The two services both the client's and the worker's connections expose. */
export interface TemporalServices {
  workflowService: WorkflowService;
  operatorService: OperatorService;
}

export type NamespaceStatus =
  | { ready: true }
  | {
      ready: false;
      namespaceMissing: boolean;
      /** Search attributes absent from the namespace, or registered with another type. */
      missing: RequiredSearchAttribute[];
      /** One paragraph for /readyz, a 503 and the logs: what is missing and the commands that add it. */
      problem: string;
    };

const { IndexedValueType } = temporal.api.enums.v1;
const GRPC = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAUTHENTICATED: 16 };
/** How long a namespace or attributes created here are given to show up in the server's caches. */
const NEW_NAMESPACE_WAIT_MS = 15_000;
/** Retention of a namespace the dialer creates itself: the campaigns' results live in PostgreSQL. */
const CREATED_RETENTION_DAYS = 7;

export async function namespaceStatus(services: TemporalServices, namespace: string): Promise<NamespaceStatus> {
  try {
    await services.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC.NOT_FOUND) return notReady(namespace, true, [...REQUIRED_SEARCH_ATTRIBUTES]);
    throw err;
  }
  const { customAttributes } = await services.operatorService.listSearchAttributes({ namespace });
  const missing = REQUIRED_SEARCH_ATTRIBUTES.filter((a) => customAttributes?.[a.name] !== IndexedValueType[a.indexedType]);
  return missing.length === 0 ? { ready: true } : notReady(namespace, false, missing);
}

/** Creates the namespace and registers the search attributes that are missing, where the server allows it. */
export async function setUpNamespace(services: TemporalServices, namespace: string, logger: Logger): Promise<NamespaceStatus> {
  const before = await namespaceStatus(services, namespace);
  if (before.ready) return before;
  try {
    if (before.namespaceMissing) {
      await services.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(CREATED_RETENTION_DAYS * 86_400_000),
        description: 'created by the campaign dialer',
      });
      logger.info({ namespace, retentionDays: CREATED_RETENTION_DAYS }, 'created the Temporal namespace');
    }
    await addSearchAttributes(services, namespace, before.missing, before.namespaceMissing ? NEW_NAMESPACE_WAIT_MS : 0);
    await untilAttributesUsable(services, namespace);
    logger.info({ namespace, added: before.missing.map((a) => a.name) }, 'registered the search attributes');
  } catch (err) {
    if (!refusedByServer(err)) throw err;
    logger.error({ namespace, err: { message: err.message, code: err.code }, problem: before.problem }, 'Temporal refused to set up the namespace');
    return before;
  }
  return namespaceStatus(services, namespace);
}

async function addSearchAttributes(
  services: TemporalServices,
  namespace: string,
  missing: RequiredSearchAttribute[],
  waitMs: number,
): Promise<void> {
  const searchAttributes = Object.fromEntries(missing.map((a) => [a.name, IndexedValueType[a.indexedType]]));
  // Right after a namespace is created, the search-attribute calls do not find it for a moment.
  await retriedFor(waitMs, (err) => isGrpcServiceError(err) && err.code === GRPC.NOT_FOUND, () =>
    services.operatorService.addSearchAttributes({ namespace, searchAttributes }),
  );
}

/**
 * Registered attributes reach each frontend's cache within seconds; until then a workflow started with
 * them is refused. A visibility query naming them is checked against that cache: wait until it passes.
 */
async function untilAttributesUsable(services: TemporalServices, namespace: string): Promise<void> {
  const query = REQUIRED_SEARCH_ATTRIBUTES.map((a) => `${a.name} = 'probe'`).join(' AND ');
  await retriedFor(NEW_NAMESPACE_WAIT_MS, () => true, () => services.workflowService.countWorkflowExecutions({ namespace, query }));
}

/** `call`, again every 500 ms while it fails with an error `retry` accepts, for up to `waitMs`. */
async function retriedFor(waitMs: number, retry: (err: unknown) => boolean, call: () => Promise<unknown>): Promise<void> {
  const giveUpAt = Date.now() + waitMs;
  for (;;) {
    try {
      await call();
      return;
    } catch (err) {
      if (!retry(err) || Date.now() >= giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function refusedByServer(err: unknown): err is Error & { code: number } {
  return isGrpcServiceError(err) && [GRPC.PERMISSION_DENIED, GRPC.UNIMPLEMENTED, GRPC.UNAUTHENTICATED].includes(err.code);
}

function notReady(namespace: string, namespaceMissing: boolean, missing: RequiredSearchAttribute[]): NamespaceStatus {
  const names = missing.map((a) => `${a.name} (${a.cliType})`).join(', ');
  // The CLI takes several names but one type per command.
  const create = [...new Set(missing.map((a) => a.cliType))]
    .map((type) => {
      const named = missing.filter((a) => a.cliType === type).map((a) => `--name ${a.name}`);
      return `temporal operator search-attribute create --namespace ${namespace} ${named.join(' ')} --type ${type}`;
    })
    .join(' && ');
  const cloud = `tcld namespace search-attributes add --namespace ${namespace} ${missing.map((a) => `--search-attribute ${a.name}=${a.cliType}`).join(' ')}`;
  const problem = namespaceMissing
    ? `Temporal namespace ${namespace} does not exist. Create it (temporal operator namespace create --namespace ${namespace}), then its search attributes ${names}: ${create}`
    : `Temporal namespace ${namespace} lacks the search attributes ${names}. Add them: ${create} (Temporal Cloud: ${cloud})`;
  return { ready: false, namespaceMissing, missing, problem };
}
