/**
 * A database of its own for each test dialer: a copy of the run's migrated template (test/support/globalSetup.ts),
 * made by CREATE DATABASE … TEMPLATE in some 60 ms. Left in place: the run's server goes away with its temp dir.
 */
import { randomBytes } from 'node:crypto';
import { createDatabase } from '../../src/db/embeddedPostgres';

export async function freshDatabaseUrl(): Promise<string> {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL;
  const template = process.env.TEST_DATABASE_TEMPLATE;
  if (!adminUrl || !template) throw new Error('TEST_DATABASE_ADMIN_URL is not set: run the tests through jest (globalSetup)');
  return createDatabase(adminUrl, `d_${randomBytes(6).toString('hex')}`, template);
}
