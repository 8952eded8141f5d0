/** DATABASE_URL: what is accepted, what is refused, and the worker and the API refusing to start without it. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig, requireDatabaseUrl } from '../../src/config';
import { maskedDatabaseUrl } from '../../src/db/database';

const ROOT = path.resolve(__dirname, '../..');

it.each(['postgres://dialer:secret@db.example.com:5432/dialer', 'postgresql://localhost/dialer?sslmode=require'])('accepts %s', (url) => {
  const config = loadConfig({ DATABASE_URL: url });
  expect(config.database).toEqual({ url });
  expect(requireDatabaseUrl(config)).toBe(url);
});

it.each(['mysql://db/dialer', 'http://db/dialer', 'dialer'])('refuses DATABASE_URL=%s, naming it', (url) => {
  expect(() => loadConfig({ DATABASE_URL: url })).toThrow(ConfigError);
  expect(() => loadConfig({ DATABASE_URL: url })).toThrow(/^DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL$/);
});

it('leaves it unset by default, which requireDatabaseUrl refuses', () => {
  const config = loadConfig({});
  expect(config.database).toEqual({ url: undefined });
  expect(() => requireDatabaseUrl(config)).toThrow(/^DATABASE_URL: required/);
});

it('masks the password, and only it, for the logs', () => {
  expect(maskedDatabaseUrl('postgres://dialer:s3cret@db:5432/dialer')).toBe('postgres://dialer:***@db:5432/dialer');
  expect(maskedDatabaseUrl('postgres://db/dialer')).toBe('postgres://db/dialer');
});

describe.each(['worker', 'api'])('npm run %s', (role) => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', `src/${role}/main.ts`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('refuses to start without DATABASE_URL: one line naming it, exit code 2', () => {
    const result = run({});
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe("configuration error: DATABASE_URL: required: the dialer's PostgreSQL, postgres://…");
  });

  it('refuses a DATABASE_URL that is no postgres:// URL', () => {
    const result = run({ DATABASE_URL: 'mysql://db/dialer' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe('configuration error: DATABASE_URL: expected a postgres:// or postgresql:// URL');
  });
});
