import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verify } from './harness/checks.js';
import { type Fixture, startFixture } from './harness/fixture.js';
import type { StopMode } from './harness/postgres.js';
import { median, report } from './harness/report.js';
import { is2xx, Traffic } from './harness/traffic.js';
import { waitFor } from './harness/wait.js';

const WRITERS = 8;

describe('a database restart under load', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture('restart');
  }, 120_000);

  afterAll(async () => {
    await f?.close();
  });

  it.each<StopMode>(['fast', 'immediate'])(
    'survives the database stopped in %s mode and started again: /health/ready 503 while it is away, 200 after, by itself; no partial rows',
    async (mode) => {
      const traffic = new Traffic(f.service, f.adminToken, `restart-${mode}`);
      const load = traffic.run(WRITERS);
      const readyAway: number[] = [];
      let stoppedAt = 0;
      let downAt = 0;
      let startingAt = 0;
      let startedAt = 0;
      let readyAgainMs = 0;
      try {
        await waitFor('the load to get going', f.service.whileAlive(() => traffic.succeeded() >= 10), 60_000);
        stoppedAt = performance.now();
        await f.db.stop(mode);
        downAt = performance.now();

        // While the database is away: not ready, still alive, and requests fail rather than hang.
        await waitFor('/health/ready to answer 503', f.service.whileAlive(async () => (await f.service.get('/health/ready')).status === 503), 10_000);
        const awaySince = performance.now();
        await waitFor(
          '10 creations refused while the database is away',
          f.service.whileAlive(() => traffic.creations.filter((c) => c.sentAt >= awaySince && c.reply && !is2xx(c.reply)).length >= 10),
          30_000,
        );
        for (let i = 0; i < 3; i += 1) readyAway.push((await f.service.get('/health/ready')).status);
        await expect(f.service.get('/health/live')).resolves.toMatchObject({ status: 200 });

        startingAt = performance.now();
        await f.db.start();
        startedAt = performance.now();
        readyAgainMs = await waitFor('/health/ready to answer 200 again', f.service.whileAlive(async () => (await f.service.get('/health/ready')).status === 200), 30_000);
        await waitFor('10 creations to succeed after the restart', f.service.whileAlive(() => traffic.succeeded(startedAt) >= 10), 60_000);
      } finally {
        await load.stop();
      }

      expect(readyAway).toEqual([503, 503, 503]);
      expect(f.service.alive).toBe(true);
      // Sent while the database was down: each answered within the connection timeout (no hang),
      // and none that was answered before the database started again succeeded.
      const away = traffic.creations.filter((creation) => creation.sentAt >= downAt && creation.sentAt < startingAt);
      expect(away.length).toBeGreaterThanOrEqual(10);
      expect(away.filter((creation) => (creation.reply?.ms ?? Infinity) >= 6_000)).toEqual([]);
      expect(away.filter((creation) => is2xx(creation.reply) && creation.sentAt + (creation.reply?.ms ?? 0) < startingAt)).toEqual([]);

      const result = await verify(f.db, traffic.creations);
      report(`database ${mode} stop and start under load`, {
        'requests sent (creations)': result.requests,
        '2xx seen by the client': result.succeeded,
        'sent while the database was away': away.length,
        'median failure time while away (ms)': median(away.filter((c) => !is2xx(c.reply)).map((c) => c.reply?.ms ?? 0)),
        'committed whole but answered with an error': result.committedWithoutAnswer,
        'reads sent / 2xx': `${traffic.reads.length} / ${traffic.reads.filter(is2xx).length}`,
        'database stopping and down (ms)': startedAt - stoppedAt,
        '/health/ready 200 again after the start (ms)': readyAgainMs,
        'expected rows checked': result.rowsChecked,
        'table rows scanned by invariants': result.tableRows,
        'invariant violations': result.violations.length,
      });
      expect(result.violations).toEqual([]);
    },
  );
});
