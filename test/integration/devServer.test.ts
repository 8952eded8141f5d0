/**
 * The dev server the tests (and `npm start`) run is a real Temporal server: namespaces, the campaign search
 * attributes, persistence across a restart on the same SQLite file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { isTemporalReachable, startDevServer, type DevServer } from '../../src/temporal/devServer';
import { WORKFLOW_TYPE } from '../../src/workflows/messages';
import { campaignAgentsKey, campaignStatusKey, SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../src/workflows/searchAttributes';
import { testAddress, testConnection, testNamespace, uniqueTaskQueue, uniqueWorkflowId } from '../support/temporal';

/** `CampaignAgents=KeywordList` → ['CampaignAgents', 'KEYWORD_LIST']. */
function registration(entry: string): [string, string] {
  const [name, type] = entry.split('=') as [string, string];
  return [name, type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()];
}

async function customSearchAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  return res.customAttributes as Record<string, number>;
}

describe('the shared test server', () => {
  it('answers at TEMPORAL_TEST_ADDRESS', async () => {
    expect(await isTemporalReachable(testAddress(), 5_000)).toBe(true);
  });

  it('has every campaign search attribute, with its type', async () => {
    const { connection } = await testConnection();
    const custom = await customSearchAttributes(connection, testNamespace());
    for (const entry of SEARCH_ATTRIBUTE_REGISTRATIONS) {
      const [name, type] = registration(entry);
      expect({ name, type: custom[name] }).toEqual({
        name,
        type: encodeSearchAttributeIndexedValueType(type as 'KEYWORD'),
      });
    }
    expect(custom[campaignStatusKey.name]).toBe(encodeSearchAttributeIndexedValueType(campaignStatusKey.type));
    expect(custom[campaignAgentsKey.name]).toBe(encodeSearchAttributeIndexedValueType(campaignAgentsKey.type));
  });

  it('registers and lists namespaces', async () => {
    const { connection } = await testConnection();
    const namespace = uniqueWorkflowId('ns');
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(described.namespaceInfo?.name).toBe(namespace);
    const listed = await connection.workflowService.listNamespaces({ pageSize: 1000 });
    expect(listed.namespaces.map((n) => n.namespaceInfo?.name)).toEqual(
      expect.arrayContaining(['default', namespace]),
    );
  });
});

describe('isTemporalReachable', () => {
  it('is false when nothing listens', async () => {
    expect(await isTemporalReachable('127.0.0.1:1', 1_000)).toBe(false);
  });
});

describe('a dev server restarted on the same database file', () => {
  let dir: string;
  let server: DevServer | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'campaign-dialer-restart-'));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function withClient<T>(s: DevServer, fn: (client: Client, connection: Connection) => Promise<T>): Promise<T> {
    const connection = await Connection.connect({ address: s.address });
    try {
      return await fn(new Client({ connection, namespace: s.namespace }), connection);
    } finally {
      await connection.close();
    }
  }

  it('keeps workflow executions, their search attributes and the registrations', async () => {
    // A nested directory that does not exist yet: startDevServer creates it.
    const dbFilename = join(dir, 'nested', 'temporal.sqlite');
    const workflowId = uniqueWorkflowId('restart');
    const namespace = 'restart-ns';

    server = await startDevServer({ dbFilename, port: 0, uiPort: null, namespace });
    expect(server.pid).toEqual(expect.any(Number));
    const firstRunId = await withClient(server, async (client) => {
      // No worker polls this queue: the execution stays open, with only its start events.
      const handle = await client.workflow.start(WORKFLOW_TYPE, {
        workflowId,
        taskQueue: uniqueTaskQueue('no-worker'),
        args: [],
        typedSearchAttributes: [
          { key: campaignStatusKey, value: 'running' },
          { key: campaignAgentsKey, value: ['agent-1', 'agent-2'] },
        ],
      });
      return handle.firstExecutionRunId;
    });
    const firstAddress = server.address;
    await server.stop();
    expect(await isTemporalReachable(firstAddress, 1_000)).toBe(false);

    server = await startDevServer({ dbFilename, port: 0, uiPort: null, namespace });
    await withClient(server, async (client, connection) => {
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.runId).toBe(firstRunId);
      expect(description.status.name).toBe('RUNNING');
      expect(description.typedSearchAttributes.get(campaignStatusKey)).toBe('running');
      expect(description.typedSearchAttributes.get(campaignAgentsKey)).toEqual(['agent-1', 'agent-2']);

      const custom = await customSearchAttributes(connection, namespace);
      for (const entry of SEARCH_ATTRIBUTE_REGISTRATIONS) {
        const [name, type] = registration(entry);
        expect(custom[name]).toBe(encodeSearchAttributeIndexedValueType(type as 'KEYWORD'));
      }

      // Visibility survived too: the agent-status webhook's query finds the campaign.
      const found: string[] = [];
      for await (const wf of client.workflow.list({ query: `CampaignAgents = 'agent-2' AND ExecutionStatus = 'Running'` })) {
        found.push(wf.workflowId);
      }
      expect(found).toEqual([workflowId]);

      await client.workflow.getHandle(workflowId).terminate('test done');
    });
  });
});
