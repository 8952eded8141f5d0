/** TELEPHONY_PROVIDER=twilio in the configuration: what is required, what is refused, and the wiring it gives. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config';
import { activityDepsFrom } from '../../src/worker/createWorker';

/** Never queried: these tests only read the dependencies' shape. */
const idlePool = new pg.Pool();
afterAll(() => idlePool.end());

const TWILIO = {
  TELEPHONY_PROVIDER: 'twilio',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'token',
  TWILIO_FROM: '+14155550100',
};

function refusal(env: Record<string, string>): { variable: string; message: string } | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return { variable: err.variable, message: err.message };
    throw err;
  }
}

it('gives the Twilio settings, with the default agent address, and never the built-in simulator', () => {
  const config = loadConfig({ ...TWILIO, TWILIO_API_BASE_URL: 'http://127.0.0.1:4000/' });
  expect(config.twilio).toEqual({
    accountSid: TWILIO.TWILIO_ACCOUNT_SID,
    authToken: 'token',
    from: '+14155550100',
    agentAddress: 'client:{agentId}',
    apiBaseUrl: 'http://127.0.0.1:4000',
  });
  expect(config.telephony.provider).toBe('twilio');
  expect(config.builtInSimulator).toBe(false);
  const deps = activityDepsFrom(config, pino({ level: 'silent' }), idlePool);
  expect(deps.twilio).toEqual(config.twilio);
  expect(deps.telephonyBaseUrl).toBeUndefined();
});

it('has no Twilio settings with the http provider, even when TWILIO_* variables are set', () => {
  const config = loadConfig({ TWILIO_AUTH_TOKEN: 'token', TELEPHONY_BASE_URL: 'http://provider.example.com' });
  expect(config.twilio).toBeUndefined();
  expect(activityDepsFrom(config, pino({ level: 'silent' }), idlePool)).toMatchObject({ telephonyBaseUrl: 'http://provider.example.com' });
});

it.each(['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'])('refuses twilio without %s, naming it', (variable) => {
  const env: Record<string, string> = { ...TWILIO, [variable]: '' };
  expect(refusal(env)).toEqual({ variable, message: `${variable}: required when TELEPHONY_PROVIDER=twilio` });
});

it.each([
  ['TWILIO_ACCOUNT_SID', 'SK0123456789abcdef0123456789abcdef'],
  ['TWILIO_ACCOUNT_SID', 'AC0123'],
  ['TWILIO_FROM', '4155550100'],
  ['TWILIO_FROM', '+0155550100'],
  ['TWILIO_AGENT_ADDRESS', 'client:agent'],
  ['TWILIO_AGENT_ADDRESS', 'http://pbx/{agentId}'],
  ['TWILIO_API_BASE_URL', 'ftp://stand-in'],
])('refuses %s=%s', (variable, value) => {
  expect(refusal({ ...TWILIO, [variable]: value })?.variable).toBe(variable);
});

it('stops the worker at start with one line naming the missing variable, exit code 2', () => {
  const root = path.resolve(__dirname, '../..');
  const { TWILIO_AUTH_TOKEN: _omitted, ...env } = TWILIO;
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.status).toBe(2);
  expect(run.stderr.trim()).toBe('configuration error: TWILIO_AUTH_TOKEN: required when TELEPHONY_PROVIDER=twilio');
});
