import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verify } from './harness/checks.js';
import { type Fixture, startFixture } from './harness/fixture.js';
import { report } from './harness/report.js';
import { is2xx, Traffic } from './harness/traffic.js';
import { sleep, waitFor } from './harness/wait.js';

const WRITERS = 8;
/** Rounds of terminations spaced by the traffic, which catch connections idle, in a query, inside a transaction. */
const ROUNDS = 5;
/**
 * Then terminations every 20 ms for this long, which also catch connections as the pool opens
 * them (ready and terminated in one packet: the window in which one used to crash the process).
 */
const STORM_MS = 4_000;

describe('pg_terminate_backend of the service’s connections under load', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture('terminate');
  }, 120_000);

  afterAll(async () => {
    await f?.close();
  });

  it('keeps the process up, recovers by itself, and leaves no partial rows', async () => {
    const traffic = new Traffic(f.service, f.adminToken, 'term');
    const load = traffic.run(WRITERS);
    let terminated = 0;
    let stormRounds = 0;
    let recoveryMs = 0;
    try {
      await waitFor('the load to get going', f.service.whileAlive(() => traffic.succeeded() >= 10), 60_000);
      for (let round = 0; round < ROUNDS; round += 1) {
        terminated += await f.db.terminateServiceBackends();
        // The next round once some requests have gone through the new connections (or failed on the old ones).
        const answered = traffic.answered;
        await waitFor('more answers after a termination', f.service.whileAlive(() => traffic.answered >= answered + WRITERS), 30_000, 10);
      }
      const stormUntil = performance.now() + STORM_MS;
      while (performance.now() < stormUntil) {
        f.service.assertAlive();
        terminated += await f.db.terminateServiceBackends();
        stormRounds += 1;
        await sleep(20);
      }
      const lastRound = performance.now();
      recoveryMs = await waitFor('10 creations to succeed after the last termination', f.service.whileAlive(() => traffic.succeeded(lastRound) >= 10), 60_000, 10);
    } finally {
      await load.stop();
    }

    expect(terminated).toBeGreaterThan(0);
    expect(f.service.alive).toBe(true);
    await expect(f.service.get('/health/live')).resolves.toMatchObject({ status: 200 });
    await expect(f.service.get('/health/ready')).resolves.toMatchObject({ status: 200 });
    // Nothing hung on a dead connection: every request got an answer, bounded by the timeouts.
    const slowest = Math.max(...traffic.creations.map((creation) => creation.reply?.ms ?? Infinity));
    expect(slowest).toBeLessThan(11_000);
    expect(traffic.creations.every((creation) => (creation.reply?.status ?? 0) > 0)).toBe(true);

    const result = await verify(f.db, traffic.creations);
    const failed = traffic.creations.filter((creation) => !is2xx(creation.reply)).length;
    report('pg_terminate_backend of the service’s connections under load', {
      'requests sent (creations)': result.requests,
      '2xx seen by the client': result.succeeded,
      'failed (5xx) on a terminated connection': failed,
      'committed whole but answered with an error': result.committedWithoutAnswer,
      'reads sent / 2xx': `${traffic.reads.length} / ${traffic.reads.filter(is2xx).length}`,
      'connections terminated': terminated,
      'termination rounds (spaced + every 20 ms)': `${ROUNDS} + ${stormRounds}`,
      'recovery after the last round (ms)': recoveryMs,
      'slowest request (ms)': slowest,
      'expected rows checked': result.rowsChecked,
      'table rows scanned by invariants': result.tableRows,
      'invariant violations': result.violations.length,
    });
    expect(result.violations).toEqual([]);
  });
});
