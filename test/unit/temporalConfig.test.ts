/**
 * How the dialer reaches a Temporal that wants TLS: Temporal Cloud with an API key or mTLS, or a
 * self-hosted frontend with its own CA. Read from the environment; a bad combination is refused
 * naming the variable.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'temporal-tls-'));
  for (const name of ['client.pem', 'client.key', 'ca.pem']) writeFileSync(path.join(dir, name), `-----BEGIN ${name}-----\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const security = (env: Record<string, string>) => loadConfig(env).temporal.security;
const file = (name: string): string => path.join(dir, name);

it('is plaintext by default, as a local or compose server wants', () => {
  expect(security({})).toEqual({ tls: false });
});

it('uses TLS with the system roots and the API key for Temporal Cloud', () => {
  expect(security({ TEMPORAL_API_KEY: 'key-123' })).toEqual({ tls: true, apiKey: 'key-123' });
  expect(security({ TEMPORAL_TLS: 'true' })).toEqual({ tls: true });
});

it('reads the mTLS client pair, a CA and a server name from files', () => {
  const tls = security({
    TEMPORAL_TLS_CERT: file('client.pem'),
    TEMPORAL_TLS_KEY: file('client.key'),
    TEMPORAL_TLS_CA: file('ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: 'ns.acct.tmprl.cloud',
  }).tls;
  expect(tls).toEqual({
    clientCertPair: { crt: Buffer.from('-----BEGIN client.pem-----\n'), key: Buffer.from('-----BEGIN client.key-----\n') },
    serverRootCACertificate: Buffer.from('-----BEGIN ca.pem-----\n'),
    serverNameOverride: 'ns.acct.tmprl.cloud',
  });
});

it.each([
  [{ TEMPORAL_TLS_CERT: 'x' }, 'TEMPORAL_TLS_KEY', 'set both'],
  [{ TEMPORAL_TLS_KEY: 'x' }, 'TEMPORAL_TLS_CERT', 'set both'],
  [{ TEMPORAL_TLS_CA: '/nowhere/ca.pem' }, 'TEMPORAL_TLS_CA', 'cannot read /nowhere/ca.pem'],
  [{ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' }, 'TEMPORAL_TLS', 'need TLS'],
  [{ TEMPORAL_TLS: 'yes' }, 'TEMPORAL_TLS', ''],
])('refuses %j naming %s', (env, variable, words) => {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as ConfigError).variable).toBe(variable);
  expect((thrown as ConfigError).message).toContain(words);
});
