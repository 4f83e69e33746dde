import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Names this run's template database; the first test file to need it migrates it (see
 * database.ts), because Jest loads this file outside its ESM transform.
 */
export default async function globalSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-e2e-template-'));
  process.env.ACCOUNTS_E2E_TEMPLATE = dir;
  process.env.ACCOUNTS_E2E_TEMPLATE_DB = `accounts_e2e_template_${process.pid}`;
}
