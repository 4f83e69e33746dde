import { rmSync } from 'node:fs';
import pg from 'pg';

/** Removes this run's template database. */
export default async function globalTeardown() {
  rmSync(process.env.ACCOUNTS_E2E_TEMPLATE, { recursive: true, force: true });
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = '/postgres';
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${process.env.ACCOUNTS_E2E_TEMPLATE_DB} WITH (FORCE)`);
    await client.end();
  }
}
