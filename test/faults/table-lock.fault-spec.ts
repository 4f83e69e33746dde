import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verify } from './harness/checks.js';
import { type Fixture, startFixture } from './harness/fixture.js';
import type { Reply } from './harness/http.js';
import { median, report } from './harness/report.js';
import { type Creation, is2xx, Traffic } from './harness/traffic.js';
import { sleep } from './harness/wait.js';

const LOCK_MS = 20_000;
/** The pool's size in src/database/data-source-options.ts. */
const POOL_SIZE = 10;
/** Its connection-acquire timeout and the session's lock_timeout, 5 s each. */
const TIMEOUT_MS = 5_000;

describe('a table locked for 20 s (LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE)', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture('lock');
  }, 120_000);

  afterAll(async () => {
    await f?.close();
  });

  it('fails requests in about 5 s instead of waiting for the lock, keeps /health/live up, and leaves no partial rows', async () => {
    const traffic = new Traffic(f.service, f.adminToken, 'lock');
    const before = await traffic.burst(2);
    expect(before.map((creation) => creation.reply?.status)).toEqual([201, 200]);

    // Signups insert the user, then wait on the account insert; createAccounts wait on the plan lookup.
    const locker = await f.db.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const lockedAt = performance.now();
    const live: Reply[] = [];
    const ready: number[] = [];
    let polling = true;
    const pollers = [
      (async () => {
        while (polling) {
          live.push(await f.service.get('/health/live', undefined, 5_000));
          await sleep(250);
        }
      })(),
      (async () => {
        while (polling) {
          ready.push((await f.service.get('/health/ready', undefined, 5_000)).status);
          await sleep(1_000);
        }
      })(),
    ];
    let withinPool: Creation[];
    let beyondPool: Creation[];
    try {
      // As many requests as the pool has connections (less one for the readiness probe): each waits on the lock.
      withinPool = await traffic.burst(POOL_SIZE - 2);
      // Twice the pool: half wait for a connection first, then on the lock.
      beyondPool = await traffic.burst(POOL_SIZE * 2);
      await sleep(Math.max(0, lockedAt + LOCK_MS - performance.now())); // the rest of the 20 s
    } finally {
      polling = false;
      await Promise.all(pollers);
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const heldMs = performance.now() - lockedAt;

    // Every request during the lock failed, none waited for the lock to go.
    expect([...withinPool, ...beyondPool].filter((creation) => is2xx(creation.reply))).toEqual([]);
    // …with 503 SERVICE_UNAVAILABLE and Retry-After (standard shape on /api/accounts/signup, the Portal's too).
    expect(
      new Set([...withinPool, ...beyondPool].map((creation) => `${creation.reply?.status} ${creation.reply?.body?.code} retry-after ${creation.reply?.retryAfter}`)),
    ).toEqual(new Set(['503 SERVICE_UNAVAILABLE retry-after 1']));
    // Within the pool: about 5 s (the lock timeout).
    const withinMs = withinPool.map((creation) => creation.reply?.ms ?? Infinity);
    for (const ms of withinMs) {
      expect(ms).toBeGreaterThan(TIMEOUT_MS - 500);
      expect(ms).toBeLessThan(TIMEOUT_MS + 2_500);
    }
    // Beyond the pool: at most the acquire timeout plus the lock timeout.
    const beyondMs = beyondPool.map((creation) => creation.reply?.ms ?? Infinity);
    for (const ms of beyondMs) expect(ms).toBeLessThan(2 * TIMEOUT_MS + 2_500);
    // The process answered its liveness probe at once throughout.
    expect(live.length).toBeGreaterThan(LOCK_MS / 1_000);
    expect(live.filter((reply) => reply.status !== 200 || reply.ms > 1_000)).toEqual([]);
    expect(f.service.alive).toBe(true);

    // Once the lock is gone: served again at once.
    const after = await traffic.burst(2);
    expect(after.map((creation) => creation.reply?.status)).toEqual([201, 200]);
    await expect(f.service.get('/health/ready')).resolves.toMatchObject({ status: 200 });

    const result = await verify(f.db, traffic.creations);
    report('table locked for 20 s', {
      'lock held (ms)': heldMs,
      'requests sent during the lock': withinPool.length + beyondPool.length,
      '2xx during the lock': 0,
      [`failure time, ${withinPool.length} concurrent (median / max ms)`]: `${Math.round(median(withinMs))} / ${Math.round(Math.max(...withinMs))}`,
      [`failure time, ${beyondPool.length} concurrent (median / max ms)`]: `${Math.round(median(beyondMs))} / ${Math.round(Math.max(...beyondMs))}`,
      '/health/live probes (all 200, slowest ms)': `${live.length}, ${Math.round(Math.max(...live.map((reply) => reply.ms)))}`,
      '/health/ready during the lock': ready.join(' '),
      'requests sent in all / 2xx': `${result.requests} / ${result.succeeded}`,
      'committed whole but answered with an error': result.committedWithoutAnswer,
      'expected rows checked': result.rowsChecked,
      'table rows scanned by invariants': result.tableRows,
      'invariant violations': result.violations.length,
    });
    expect(result.committedWithoutAnswer).toBe(0);
    expect(result.violations).toEqual([]);
  });
});
