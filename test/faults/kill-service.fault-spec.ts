import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verify } from './harness/checks.js';
import { type Fixture, startFixture } from './harness/fixture.js';
import { report } from './harness/report.js';
import { Traffic } from './harness/traffic.js';
import { waitFor } from './harness/wait.js';

const CONCURRENT = 100;
/** Answers to wait for before the kill: late enough that transactions are running, early enough that most are not done. */
const KILL_AFTER_2XX = 20;

describe('SIGKILL of the service in the middle of 100 concurrent signups and createAccounts', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture('kill');
  }, 120_000);

  afterAll(async () => {
    await f?.close();
  });

  it('leaves every creation the client saw succeed whole and no partial rows; the restarted service serves', async () => {
    const traffic = new Traffic(f.service, f.adminToken, 'kill');
    const burst = traffic.burst(CONCURRENT);
    await waitFor(`${KILL_AFTER_2XX} creations answered 2xx`, () => traffic.succeeded() >= KILL_AFTER_2XX, 90_000, 2);
    // …and at a moment when transactions have written rows that they have not committed yet.
    let writing = 0;
    await waitFor('transactions with uncommitted rows', async () => (writing = await f.db.serviceWritingTransactions()) > 0, 30_000, 1);
    const answeredBeforeKill = traffic.answered;
    const succeededBeforeKill = traffic.succeeded();
    const exit = await f.service.kill('SIGKILL');
    await burst;

    expect(exit.signal).toBe('SIGKILL');
    // Killed in the middle: some answered, some still in flight, some inside their transaction.
    expect(answeredBeforeKill).toBeLessThan(CONCURRENT);
    expect(writing).toBeGreaterThan(0);
    const lost = traffic.creations.filter((creation) => creation.reply?.status === 0).length;
    expect(lost).toBeGreaterThan(0);

    // The killed process's sessions end; the server rolls back what they had not committed.
    await waitFor("the killed service's database sessions to end", async () => (await f.db.serviceBackends()) === 0, 30_000);
    const startedAt = performance.now();
    await f.service.startReady();
    const restartMs = performance.now() - startedAt;
    const after = await Promise.all([traffic.create('signup'), traffic.create('createAccount')]);
    expect(after.map((creation) => creation.reply?.status)).toEqual([201, 200]);

    const result = await verify(f.db, traffic.creations);
    report('SIGKILL of the service during 100 concurrent creations, then restart', {
      'requests sent': result.requests,
      '2xx seen by the client': result.succeeded,
      '2xx before the kill': succeededBeforeKill,
      'answered before the kill': answeredBeforeKill,
      'transactions with uncommitted rows at the kill': writing,
      'cut off by the kill (no answer)': lost,
      'committed whole but unanswered': result.committedWithoutAnswer,
      'expected rows checked': result.rowsChecked,
      'table rows scanned by invariants': result.tableRows,
      'restart to ready (ms)': restartMs,
      'invariant violations': result.violations.length,
    });
    expect(result.violations).toEqual([]);
  });

  it('has checks that fail: a creation missing one row is reported as incomplete and partial', async () => {
    const traffic = new Traffic(f.service, f.adminToken, 'check');
    const [signup, portal] = await Promise.all([traffic.create('signup'), traffic.create('createAccount')]);
    expect([signup.reply?.status, portal.reply?.status]).toEqual([201, 200]);
    await expect(verify(f.db, traffic.creations)).resolves.toMatchObject({ violations: [] });

    await f.db.query(`DELETE FROM memberships WHERE user_id = $1`, [signup.reply?.body.id]);
    await f.db.query(`DELETE FROM api_tokens WHERE user_id = $1`, [portal.reply?.body.user.id]);
    const { violations } = await verify(f.db, traffic.creations);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^signup ${signup.email} .* lacks: owner membership$`)),
        expect.stringMatching(new RegExp(`^createAccount ${portal.email} .* lacks: Default API token, audit token.created$`)),
        expect.stringMatching(/^account without an active owner/),
        expect.stringMatching(/^user \(not a platform administrator\) without any membership/),
        expect.stringMatching(/^Portal account \(primary contact set\) without its Default API token/),
        expect.stringMatching(/^audit event of an API token that does not exist/),
      ]),
    );
  });
});
