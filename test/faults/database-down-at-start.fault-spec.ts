import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verify } from './harness/checks.js';
import { PostgresCluster } from './harness/postgres.js';
import { report } from './harness/report.js';
import { ServiceProcess } from './harness/service.js';
import { is2xx, Traffic } from './harness/traffic.js';
import { waitFor } from './harness/wait.js';

/** In the URL the service gets, to show that no message gives it away (the test server trusts local connections). */
const DATABASE_PASSWORD = 'faults-db-secret-7c1d';
const RETRY_MESSAGE = /^Cannot open the database: /;

describe('the database down at start-up', () => {
  let db: PostgresCluster;
  let service: ServiceProcess;

  beforeAll(async () => {
    db = await PostgresCluster.create();
    await db.stop('fast');
    const url = new URL(db.url);
    url.password = DATABASE_PASSWORD;
    service = await ServiceProcess.create(url.toString());
  }, 120_000);

  afterAll(async () => {
    try {
      await service?.destroy();
    } finally {
      await db?.destroy();
    }
  });

  it('logs a clear message and retries, then migrates and serves once the database is up', async () => {
    service.start();
    await waitFor('two retry messages', service.whileAlive(() => service.messages(RETRY_MESSAGE).length >= 2), 30_000);
    expect(service.alive).toBe(true);
    const [first] = service.messages(RETRY_MESSAGE);
    // What failed, where, and what happens next; no password.
    expect(first).toBe(`Cannot open the database: connect ECONNREFUSED 127.0.0.1:${db.port}. Retrying in 3 s.`);
    expect(service.logs.join('\n')).not.toContain(DATABASE_PASSWORD);
    // Not serving a half-started application meanwhile.
    const liveDuringRetries = (await service.get('/health/live', undefined, 2000)).status;
    expect(liveDuringRetries).toBe(0);

    const startedAt = performance.now();
    await db.start();
    await service.waitReady(60_000);
    const readyMs = performance.now() - startedAt;
    const retries = service.messages(RETRY_MESSAGE).length;

    // It migrated the empty database and serves both multi-row creations.
    const adminToken = await service.createAdminToken('admin-startup@faults.example.com');
    const traffic = new Traffic(service, adminToken, 'startup');
    const creations = await traffic.burst(20);
    expect(creations.filter((creation) => !is2xx(creation.reply)).map((creation) => creation.reply?.status)).toEqual([]);

    const result = await verify(db, traffic.creations);
    report('database down at start-up', {
      'retry messages before the database came up': retries,
      'first message': first,
      '/health/live while retrying': liveDuringRetries === 0 ? 'no listener yet' : liveDuringRetries,
      'database start to ready (ms)': readyMs,
      'requests sent after start-up': result.requests,
      '2xx seen by the client': result.succeeded,
      'expected rows checked': result.rowsChecked,
      'table rows scanned by invariants': result.tableRows,
      'invariant violations': result.violations.length,
    });
    expect(result.violations).toEqual([]);
    expect(service.logs.join('\n')).not.toContain(DATABASE_PASSWORD);
  });
});
