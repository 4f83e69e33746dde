import { closeSync, cpSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { buildDataSourceOptions } from '../../src/database/data-source-options.js';

/**
 * Test databases: one migrated template per run, then a fresh copy for each test file. On
 * PostgreSQL (`DATABASE_URL` set) the copy is `CREATE DATABASE … TEMPLATE`; on the embedded
 * database it is a copy of the template's folder. The global setup names the template; the first
 * test file that needs it migrates it while the others wait.
 */
export interface TestDatabase {
  /** Environment for the app: `DATABASE_URL` or `DATA_DIR`. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const templateDir = process.env.ACCOUNTS_E2E_TEMPLATE;
  const templateDb = process.env.ACCOUNTS_E2E_TEMPLATE_DB;
  if (!templateDir || !templateDb) throw new Error('Run the e2e tests through Jest: its global setup names the template');
  await ensureTemplate(templateDir, templateDb);

  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `accounts_e2e_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await admin(serverUrl, [`CREATE DATABASE ${name} TEMPLATE ${templateDb}`]);
    return {
      env: { DATABASE_URL: withDatabase(serverUrl, name) },
      drop: () => admin(serverUrl, [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'accounts-e2e-'));
  cpSync(join(templateDir, 'db'), join(dir, 'db'), { recursive: true });
  return { env: { DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function ensureTemplate(dir: string, database: string): Promise<void> {
  const ready = join(dir, 'ready');
  const lock = join(dir, 'migrating');
  while (!existsSync(ready)) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      await sleep(100); // another test file is migrating it
      continue;
    }
    closeSync(fd);
    const serverUrl = process.env.DATABASE_URL;
    if (serverUrl) {
      await admin(serverUrl, [`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, `CREATE DATABASE ${database}`]);
      await migrate({ DATABASE_URL: withDatabase(serverUrl, database) });
    } else {
      await migrate({ DATA_DIR: dir });
    }
    writeFileSync(ready, '');
  }
}

async function migrate(env: Record<string, string>): Promise<void> {
  const setup = buildDataSourceOptions(loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), ...env }));
  const dataSource = new DataSource({ ...setup.options, logger: undefined, logging: false });
  await setup.embedded?.ready;
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  await setup.embedded?.close();
}

async function admin(serverUrl: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
