/**
 * The dialer sets up its own namespace where the server allows it, and otherwise says exactly what is
 * missing and how to add it: on the run's real dev server, in namespaces made for each test.
 */
import { randomBytes } from 'node:crypto';
import { type Client, type OperatorService } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pino from 'pino';
import request from 'supertest';
import { namespaceStatus, setUpNamespace, type TemporalServices } from '../../src/temporal/namespaceSetup';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../../src/workflows/searchAttributes';
import { testApi } from '../api/helpers';
import { testConnection } from '../support/temporal';

const logger = pino({ level: 'silent' });
const NAMES = REQUIRED_SEARCH_ATTRIBUTES.map((a) => a.name);

let client: Client;
beforeAll(async () => {
  ({ client } = await testConnection());
});

const freshNamespace = (): string => `setup-${randomBytes(4).toString('hex')}`;

/** A namespace with no search attributes of ours, as a new self-hosted cluster or Cloud namespace has. */
async function bareNamespace(): Promise<string> {
  const namespace = freshNamespace();
  await client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(86_400_000) });
  return namespace;
}

/** The real server's services, except that registering search attributes is refused, as Temporal Cloud refuses it. */
function refusingRegistration(services: TemporalServices): TemporalServices {
  const refused = Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7, details: 'Request unauthorized.', metadata: {} });
  const operatorService = new Proxy(services.operatorService, {
    get: (target, key, receiver) =>
      key === 'addSearchAttributes' ? () => Promise.reject(refused) : (Reflect.get(target, key, receiver) as unknown),
  }) as OperatorService;
  return { workflowService: services.workflowService, operatorService };
}

describe('namespaceStatus', () => {
  it('is ready on the run server, set up by the dev server flags', async () => {
    expect(await namespaceStatus(client.connection, process.env.TEMPORAL_TEST_NAMESPACE!)).toEqual({ ready: true });
  });

  it('names a missing namespace and the commands that create it and its attributes', async () => {
    const namespace = freshNamespace();
    const status = await namespaceStatus(client.connection, namespace);
    expect(status).toMatchObject({ ready: false, namespaceMissing: true });
    if (status.ready) return;
    expect(status.problem).toContain(`Temporal namespace ${namespace} does not exist`);
    expect(status.problem).toContain(`temporal operator namespace create --namespace ${namespace}`);
    expect(status.missing.map((a) => a.name)).toEqual(NAMES);
  });

  it('names each missing search attribute with its type and the exact commands, self-hosted and Cloud', async () => {
    const namespace = await bareNamespace();
    const status = await namespaceStatus(client.connection, namespace);
    expect(status).toMatchObject({ ready: false, namespaceMissing: false });
    if (status.ready) return;
    expect(status.problem).toContain('lacks the search attributes CampaignStatus (Keyword), CampaignAgents (KeywordList)');
    expect(status.problem).toContain(
      `temporal operator search-attribute create --namespace ${namespace} --name CampaignStatus --type Keyword && ` +
        `temporal operator search-attribute create --namespace ${namespace} --name CampaignAgents --type KeywordList`,
    );
    expect(status.problem).toContain(`tcld namespace search-attributes add --namespace ${namespace} --search-attribute CampaignStatus=Keyword`);
  });
});

describe('setUpNamespace', () => {
  it('creates a missing namespace and registers the attributes: then it is ready', async () => {
    const namespace = freshNamespace();
    expect(await setUpNamespace(client.connection, namespace, logger)).toEqual({ ready: true });
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(NAMES));
  });

  it('registers only what is missing in an existing namespace, and is idempotent', async () => {
    const namespace = await bareNamespace();
    expect(await setUpNamespace(client.connection, namespace, logger)).toEqual({ ready: true });
    expect(await setUpNamespace(client.connection, namespace, logger)).toEqual({ ready: true });
  });

  it('where the server refuses registration, changes nothing and says what to add', async () => {
    const namespace = await bareNamespace();
    const status = await setUpNamespace(refusingRegistration(client.connection), namespace, logger);
    expect(status).toMatchObject({ ready: false, namespaceMissing: false });
    expect(await namespaceStatus(client.connection, namespace)).toMatchObject({ ready: false });
  });
});

describe('the API on a namespace without the search attributes', () => {
  it('POST /campaigns answers 503 temporal_not_set_up with the command, and imports nothing', async () => {
    const namespace = await bareNamespace();
    const api = await testApi({ TEMPORAL_NAMESPACE: namespace });
    const res = await request(api.app).post('/campaigns').send({ campaignId: 'not-set-up', numbers: ['+8613800138000'] }).expect(503);
    expect(res.body.error).toMatchObject({
      code: 'temporal_not_set_up',
      message: expect.stringContaining('temporal operator search-attribute create'),
      details: { namespace, namespaceMissing: false, missingSearchAttributes: NAMES },
    });
    expect(res.headers['retry-after']).toBeDefined();
    expect((await api.pool.query("SELECT count(*)::int AS n FROM campaign WHERE campaign_id = 'not-set-up'")).rows[0].n).toBe(0);
  });

  it('/readyz fails naming the missing attributes and the command', async () => {
    const namespace = await bareNamespace();
    const api = await testApi({ TEMPORAL_NAMESPACE: namespace });
    const res = await request(api.app).get('/readyz').expect(503);
    expect(res.body.error.details.checks.temporal).toContain('lacks the search attributes CampaignStatus (Keyword), CampaignAgents (KeywordList)');
    expect(res.body.error.details.checks.temporal).toContain('temporal operator search-attribute create');
  });
});
