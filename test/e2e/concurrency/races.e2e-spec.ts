import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthService } from '../../../src/auth/auth.service.js';
import { sha256Hex } from '../../../src/common/security/secrets.js';
import type { User } from '../../../src/users/user.entity.js';
import {
  addMembership,
  type AccountWithMembers,
  createAccount,
  createAccountWithMembers,
  createApiToken,
  createInvitation,
  createMember,
  createPlatformAdmin,
  membershipOf,
  type TestUser,
  uniqueAccountName,
} from '../../factories/account.factory.js';
import { uniqueEmail } from '../../factories/user.factory.js';
import { invariantViolations } from '../../setup/invariants.js';
import { startSmtpServer, type TestSmtpServer } from '../../setup/smtp.js';
import { type Reply, startTestApp, type TestApp } from '../../setup/test-app.js';

/**
 * Races: each one is run many times, a fresh fixture each time, and every test ends with the
 * invariant queries of test/setup/invariants.ts, which must return no rows. `RACE_REPEAT=n`
 * multiplies the rounds for a longer local run.
 */
const REPEAT = Math.max(1, Number(process.env.RACE_REPEAT ?? 1));
const rounds = (n: number) => n * REPEAT;

const PASSWORD = 'invited-user-password-42';
const CONTEXT = { ip: '127.0.0.1', userAgent: 'races', requestId: 'races' };

/** Every case variant of an email is the same email. */
function caseVariant(text: string, i: number): string {
  return [...text].map((ch, j) => ((i >> j % 6) & 1 ? ch.toUpperCase() : ch.toLowerCase())).join('');
}

/**
 * Aims a request at the short window of another one's transaction: a staircase over the delay
 * before it starts, stepping later while it arrives too early (the other request lost) and
 * earlier while it arrives too late (the other request won), so the trials gather at the boundary
 * where the two transactions overlap. The accept of an invitation, for one, hashes the password
 * (tens of milliseconds) before its transaction opens.
 */
function staircase(startMs = 40, stepMs = 3, minMs = 0) {
  let delay = startMs;
  return {
    next: () => Math.max(minMs, delay + (Math.random() * 4 - 2)),
    update(firstWon: boolean) {
      delay = Math.max(minMs, delay + (firstWon ? -stepMs : stepMs));
    },
  };
}

const statuses = (answers: Reply[]) => answers.map((res) => res.status);
const describeAnswers = (answers: Reply[]) => answers.map((res) => `${res.status} ${res.body?.code ?? ''}`.trim()).join(', ');

describe('races', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let platformAdmin: TestUser;
  const tally = { races: 0, requests: 0, invariantChecks: 0, invariantViolations: 0 };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50', APP_URL: 'https://accounts.example.test' });
    platformAdmin = await createPlatformAdmin(t);
  }, 120_000); // booting on the embedded database is slow on a busy machine

  // Every race leaves the database consistent. A broken row fails the test that made it, once.
  const reported = new Set<string>();
  afterEach(async () => {
    const broken: Record<string, unknown[]> = {};
    for (const [name, rows] of Object.entries(await invariantViolations(t.db))) {
      const fresh = rows.filter((row) => !reported.has(`${name} ${JSON.stringify(row)}`));
      for (const row of fresh) reported.add(`${name} ${JSON.stringify(row)}`);
      if (fresh.length > 0) broken[name] = fresh;
    }
    tally.invariantChecks += 1;
    tally.invariantViolations += Object.values(broken).reduce((n, rows) => n + rows.length, 0);
    expect(broken).toEqual({});
  });

  afterAll(async () => {
    console.info(`races: ${tally.races} races, ${tally.requests} racing requests, ${tally.invariantChecks} invariant checks, ${tally.invariantViolations} violating rows`);
    await t?.close();
    await smtp?.close();
  });

  /** Runs the requests at once (as far as one client can) and counts them. */
  async function race(requests: (() => Promise<Reply>)[]): Promise<Reply[]> {
    tally.races += 1;
    tally.requests += requests.length;
    return Promise.all(requests.map((send) => send()));
  }

  const countWhere = async (sql: string, params: unknown[]): Promise<number> => {
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM ${sql}`, params);
    return count;
  };
  const activeOwners = (accountId: number) =>
    countWhere(
      `memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = $1 AND 'owner' = ANY(m.roles) AND m.status = 'active' AND u.status = 'active'`,
      [accountId],
    );

  /** A login of `user` (a new session family) with its refresh token, without argon2. */
  async function loginOf(user: User): Promise<{ accessToken: string; refreshToken: string; sessionId: string }> {
    const login = await t.db.transaction((em) => t.app.get(AuthService).startSession(em, user, CONTEXT));
    const [{ id }] = await t.db.query(`SELECT id FROM sessions WHERE refresh_token_hash = $1`, [sha256Hex(login.refreshToken)]);
    return { accessToken: login.accessToken, refreshToken: login.refreshToken, sessionId: id };
  }
  const familyOf = async (sessionId: string): Promise<string> => (await t.db.query(`SELECT family_id FROM sessions WHERE id = $1`, [sessionId]))[0].family_id;
  const liveInFamily = (familyId: string) => countWhere(`sessions WHERE family_id = $1 AND revoked_at IS NULL`, [familyId]);

  describe('unique emails and account names', () => {
    it(`one email in 50 case variants signs up at once: exactly one 201, the others 409 EMAIL_ALREADY_EXISTS (${rounds(2)} rounds)`, async () => {
      for (let round = 0; round < rounds(2); round++) {
        const email = uniqueEmail('signup-race');
        const names = Array.from({ length: 50 }, () => uniqueAccountName('Signup race'));
        const answers = await race(
          names.map((accountName, i) => () =>
            t.http.post('/api/accounts/signup', { email: caseVariant(email, i), password: 'secure_password_123', firstName: 'R', lastName: 'C', accountName }),
          ),
        );
        const created = answers.filter((res) => res.status === 201);
        expect({ round, created: created.length }).toEqual({ round, created: 1 });
        for (const res of answers.filter((r) => r.status !== 201)) {
          expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'EMAIL_ALREADY_EXISTS' });
        }
        await expect(countWhere(`users WHERE lower(email) = lower($1)`, [email])).resolves.toBe(1);
        // All or nothing: only the winner's account exists, owned by the winner.
        await expect(countWhere(`accounts WHERE name = ANY($1)`, [names])).resolves.toBe(1);
        await expect(membershipOf(t, created[0].body.accountId, created[0].body.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
      }
    });

    it(`50 users create one account name (in case variants) at once: exactly one 201, the others 409 ACCOUNT_ALREADY_EXISTS (${rounds(3)} rounds)`, async () => {
      const users = await Promise.all(Array.from({ length: 50 }, () => createMember(t, { email: uniqueEmail('name-race') })));
      for (let round = 0; round < rounds(3); round++) {
        const name = uniqueAccountName('Name race');
        const answers = await race(users.map((user, i) => () => t.http.post('/api/accounts', { name: caseVariant(name, i) }, user.token)));
        const created = answers.filter((res) => res.status === 201);
        expect({ round, created: created.length, answers: created.length === 1 ? '' : describeAnswers(answers) }).toEqual({ round, created: 1, answers: '' });
        for (const res of answers.filter((r) => r.status !== 201)) {
          expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'ACCOUNT_ALREADY_EXISTS' });
        }
        const rows = await t.db.query(`SELECT id FROM accounts WHERE lower(name) = lower($1)`, [name]);
        expect(rows).toEqual([{ id: created[0].body.id }]);
        const winner = users[answers.indexOf(created[0])];
        await expect(membershipOf(t, created[0].body.id, winner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
        await expect(countWhere(`memberships WHERE account_id = $1`, [created[0].body.id])).resolves.toBe(1);
      }
    });
  });

  describe('the last active owner', () => {
    type Move = 'remove' | 'demote' | 'disable';
    const send = (move: Move, accountId: number, actor: TestUser, target: TestUser) => () => {
      const path = `/api/accounts/${accountId}/users/${target.user.id}`;
      if (move === 'remove') return t.http.delete(path, actor.token);
      return t.http.put(path, move === 'demote' ? { roles: ['admin'] } : { status: 'disabled' }, actor.token);
    };
    /** What the loser of two owners acting on each other may answer. */
    const LOSER_ANSWERS = ['409 LAST_OWNER', '404 ACCOUNT_NOT_FOUND', '403 UNAUTHORIZED'];

    const pairs: [Move, Move][] = [
      ['remove', 'remove'],
      ['demote', 'demote'],
      ['remove', 'demote'],
      ['disable', 'disable'],
      ['disable', 'remove'],
    ];

    it.each(pairs)(`two owners at once, A does %s B while B does %s A: exactly one succeeds and an active owner remains (${rounds(10)} rounds)`, async (moveA, moveB) => {
      const a = await createMember(t, { email: uniqueEmail('owner-a') });
      const b = await createMember(t, { email: uniqueEmail('owner-b') });
      for (let round = 0; round < rounds(10); round++) {
        const { account } = await createAccount(t, { owner: a });
        await addMembership(t, account.id, b.user.id, ['owner']);
        const answers = await race([send(moveA, account.id, a, b), send(moveB, account.id, b, a)]);

        expect({ round, ok: statuses(answers).filter((s) => s === 200).length }).toEqual({ round, ok: 1 });
        const loser = answers.find((res) => res.status !== 200)!;
        expect(LOSER_ANSWERS).toContain(`${loser.status} ${loser.body.code}`);
        await expect(activeOwners(account.id)).resolves.toBe(1);
      }
    });

    it(`a platform admin disables both owners' users at once: exactly one 200, the other 409 LAST_OWNER (${rounds(10)} rounds)`, async () => {
      for (let round = 0; round < rounds(10); round++) {
        const a = await createMember(t, { email: uniqueEmail('owner-a') });
        const b = await createMember(t, { email: uniqueEmail('owner-b') });
        const { account } = await createAccount(t, { owner: a });
        await addMembership(t, account.id, b.user.id, ['owner']);
        const answers = await race([a, b].map((owner) => () => t.http.patch(`/api/users/${owner.user.id}`, { status: 'disabled' }, platformAdmin.token)));

        expect({ round, answers: statuses(answers).sort() }).toEqual({ round, answers: [200, 409] });
        expect(answers.find((res) => res.status === 409)!.body.code).toBe('LAST_OWNER');
        await expect(activeOwners(account.id)).resolves.toBe(1);
      }
    });
  });

  describe('invitations', () => {
    let fx: AccountWithMembers;
    beforeAll(async () => {
      fx = await createAccountWithMembers(t);
    });

    const accept = (token: string) => () => t.http.post('/api/invitations/accept', { token, password: PASSWORD });
    const invitationOf = async (id: number) => (await t.db.query(`SELECT * FROM invitations WHERE id = $1`, [id]))[0];

    it(`one invitation accepted 10 times at once: exactly one 200, the others 400 INVITATION_INVALID (${rounds(10)} rounds)`, async () => {
      for (let round = 0; round < rounds(10); round++) {
        const invited = await createInvitation(t, fx.account.id, ['user'], fx.owner.user.id);
        const answers = await race(Array.from({ length: 10 }, () => accept(invited.token)));

        expect({ round, ok: statuses(answers).filter((s) => s === 200).length }).toEqual({ round, ok: 1 });
        for (const res of answers.filter((r) => r.status !== 200)) {
          expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'INVITATION_INVALID' });
        }
        await expect(membershipOf(t, fx.account.id, invited.user.id)).resolves.toEqual({ roles: ['user'], status: 'active' });
        await expect(invitationOf(invited.invitation.id)).resolves.toMatchObject({ status: 'accepted', accepted_at: expect.any(Date), revoked_at: null });
        // One login was started: the winner's.
        await expect(countWhere(`sessions WHERE user_id = $1`, [invited.user.id])).resolves.toBe(1);
      }
    });

    it(`a resend racing an accept: either the accept wins (resend 409) or the resend does (accept 400, the new link pending) (${rounds(20)} rounds)`, async () => {
      const outcomes: Record<string, number> = {};
      const aim = staircase();
      for (let round = 0; round < rounds(20); round++) {
        const invited = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
        const delay = aim.next();
        const [accepted, resent] = await race([
          accept(invited.token),
          async () => {
            await sleep(delay);
            return t.http.put(`/api/accounts/${fx.account.id}/users/${invited.user.id}/invite`, undefined, fx.manage.token);
          },
        ]);
        aim.update(accepted.status === 200);
        const outcome = `accept ${accepted.status} ${accepted.body.code ?? ''}/resend ${resent.status} ${resent.body.code ?? ''}`;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        const row = await invitationOf(invited.invitation.id);
        const membership = await membershipOf(t, fx.account.id, invited.user.id);
        if (accepted.status === 200) {
          expect({ round, outcome, row: row.status, membership }).toEqual({
            round,
            outcome: 'accept 200 /resend 409 CONFLICT',
            row: 'accepted',
            membership: { roles: ['viewer'], status: 'active' },
          });
        } else {
          expect({ round, outcome, row: row.status, sendCount: row.send_count, membership }).toEqual({
            round,
            outcome: 'accept 400 INVITATION_INVALID/resend 200 ',
            row: 'pending',
            sendCount: 2,
            membership: { roles: ['viewer'], status: 'invited' },
          });
        }
      }
      console.info(`resend vs accept outcomes: ${JSON.stringify(outcomes)}`);
    });

    it(`a removal racing an accept: never a 5xx; the member ends removed and the invitation accepted or revoked, not both (${rounds(20)} rounds)`, async () => {
      const aim = staircase();
      for (let round = 0; round < rounds(20); round++) {
        const invited = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
        const delay = aim.next();
        const [accepted, removed] = await race([
          accept(invited.token),
          async () => {
            await sleep(delay);
            return t.http.delete(`/api/accounts/${fx.account.id}/users/${invited.user.id}`, fx.manage.token);
          },
        ]);
        aim.update(accepted.status === 200);
        const outcome = `accept ${accepted.status} ${accepted.body.code ?? ''}/remove ${removed.status} ${removed.body.code ?? ''}`;
        expect({ round, outcome }).toEqual({
          round,
          outcome: expect.stringMatching(/^accept (200 |400 INVITATION_INVALID)\/remove 200 $/),
        });
        await expect(membershipOf(t, fx.account.id, invited.user.id)).resolves.toBeUndefined();
        const row = await invitationOf(invited.invitation.id);
        expect({ round, status: row.status }).toEqual({ round, status: accepted.status === 200 ? 'accepted' : 'revoked' });
      }
    });

    it(`a revocation racing an accept: exactly one of them succeeds (${rounds(20)} rounds)`, async () => {
      const aim = staircase();
      for (let round = 0; round < rounds(20); round++) {
        const invited = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
        const delay = aim.next();
        const [accepted, revoked] = await race([
          accept(invited.token),
          async () => {
            await sleep(delay);
            return t.http.delete(`/api/accounts/${fx.account.id}/invitations/${invited.invitation.id}`, fx.manage.token);
          },
        ]);
        aim.update(accepted.status === 200);
        const outcome = `accept ${accepted.status} ${accepted.body.code ?? ''}/revoke ${revoked.status} ${revoked.body.code ?? ''}`;
        expect({ round, outcome }).toEqual({
          round,
          outcome: expect.stringMatching(/^(accept 200 \/revoke 400 INVITATION_INVALID|accept 400 INVITATION_INVALID\/revoke 200 )$/),
        });
        const row = await invitationOf(invited.invitation.id);
        const membership = await membershipOf(t, fx.account.id, invited.user.id);
        if (accepted.status === 200) {
          expect({ round, row: row.status, membership }).toEqual({ round, row: 'accepted', membership: { roles: ['viewer'], status: 'active' } });
        } else {
          expect({ round, row: row.status, membership }).toEqual({ round, row: 'revoked', membership: undefined });
        }
      }
    });
  });

  describe('memberships', () => {
    it(`one user added 10 times to one account at once: exactly one 201, the others 409 USER_ALREADY_IN_ACCOUNT (${rounds(10)} rounds)`, async () => {
      const fx = await createAccountWithMembers(t);
      const callers = [fx.owner, fx.admin, fx.manage];
      for (let round = 0; round < rounds(10); round++) {
        const newcomer = await createMember(t, { email: uniqueEmail('added') });
        const answers = await race(
          Array.from({ length: 10 }, (_, i) => () =>
            t.http.post(`/api/accounts/${fx.account.id}/users/${newcomer.user.id}`, { roles: ['viewer'] }, callers[i % callers.length].token),
          ),
        );
        expect({ round, created: statuses(answers).filter((s) => s === 201).length }).toEqual({ round, created: 1 });
        for (const res of answers.filter((r) => r.status !== 201)) {
          expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'USER_ALREADY_IN_ACCOUNT' });
        }
        await expect(countWhere(`memberships WHERE account_id = $1 AND user_id = $2`, [fx.account.id, newcomer.user.id])).resolves.toBe(1);
      }
      await expect(countWhere(`memberships WHERE account_id = $1`, [fx.account.id])).resolves.toBe(5 + rounds(10));
    });

    it(`one new email added 10 times (case variants) at once: one 201, one user, one pending invitation (${rounds(5)} rounds)`, async () => {
      const fx = await createAccountWithMembers(t);
      for (let round = 0; round < rounds(5); round++) {
        const email = uniqueEmail('invited-race');
        const answers = await race(
          Array.from({ length: 10 }, (_, i) => () => t.http.post(`/api/accounts/${fx.account.id}/users`, { email: caseVariant(email, i), roles: ['viewer'] }, fx.owner.token)),
        );
        expect({ round, created: statuses(answers).filter((s) => s === 201).length }).toEqual({ round, created: 1 });
        for (const res of answers.filter((r) => r.status !== 201)) {
          expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'USER_ALREADY_IN_ACCOUNT' });
        }
        await expect(countWhere(`users WHERE lower(email) = lower($1)`, [email])).resolves.toBe(1);
        await expect(countWhere(`invitations WHERE account_id = $1 AND lower(email) = lower($2) AND status = 'pending'`, [fx.account.id, email])).resolves.toBe(1);
      }
    });
  });

  describe('refresh tokens', () => {
    it(`one refresh token presented 20 times at once: at most one 200; after a replay the whole family is dead (${rounds(10)} rounds)`, async () => {
      const member = await createMember(t);
      for (let round = 0; round < rounds(10); round++) {
        const login = await loginOf(member.user);
        const family = await familyOf(login.sessionId);
        const answers = await race(Array.from({ length: 20 }, () => () => t.http.post('/api/auth/refresh', { refreshToken: login.refreshToken })));

        const ok = answers.filter((res) => res.status === 200);
        expect({ round, ok: ok.length <= 1, others: answers.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.code}`) }).toEqual({
          round,
          ok: true,
          others: Array(20 - ok.length).fill('401 UNAUTHENTICATED'),
        });
        if (ok.length === 1) {
          // The others presented a token already rotated: a replay, which ends the family, the winner's new token included.
          await expect(liveInFamily(family)).resolves.toBe(0);
          const reuse = await t.http.post('/api/auth/refresh', { refreshToken: ok[0].body.refreshToken });
          expect(reuse.status).toBe(401);
        }
      }
    });

    it(`a replayed (rotated) refresh token racing the legitimate refresh of its successor: the family always ends dead (${rounds(40)} rounds)`, async () => {
      const member = await createMember(t);
      const outcomes: Record<string, number> = {};
      // A negative delay holds the legitimate refresh back instead.
      const aim = staircase(0, 1, -10);
      for (let round = 0; round < rounds(40); round++) {
        const login = await loginOf(member.user);
        const family = await familyOf(login.sessionId);
        const first = await t.http.post('/api/auth/refresh', { refreshToken: login.refreshToken });
        expect(first.status).toBe(200);
        // The attacker replays the rotated token while the client refreshes the current one.
        const delay = aim.next();
        const answers = await race([
          ...Array.from({ length: 4 }, (_, i) => async () => {
            await sleep(Math.max(0, delay) + i / 2);
            return t.http.post('/api/auth/refresh', { refreshToken: login.refreshToken });
          }),
          async () => {
            await sleep(Math.max(0, -delay));
            return t.http.post('/api/auth/refresh', { refreshToken: first.body.refreshToken });
          },
        ]);
        const legit = answers[4];
        aim.update(legit.status === 200);
        outcomes[`legit ${legit.status}`] = (outcomes[`legit ${legit.status}`] ?? 0) + 1;
        expect(statuses(answers.slice(0, 4))).toEqual([401, 401, 401, 401]);
        // Whatever the order, a replay of a rotated token came: nothing of the family may live on.
        const live = await t.db.query(`SELECT id, revoked_reason FROM sessions WHERE family_id = $1 AND revoked_at IS NULL`, [family]);
        expect({ round, legit: legit.status, live }).toEqual({ round, legit: legit.status, live: [] });
        if (legit.status === 200) expect((await t.http.get('/api/auth/me', legit.body.accessToken)).status).toBe(401);
      }
      console.info(`replay vs refresh outcomes: ${JSON.stringify(outcomes)}`);
    });
  });

  describe('credentials revoked while in use', () => {
    type Kind = 'API token deleted' | 'session logged out' | 'user disabled by a platform admin';

    /**
     * Uses the credential from 50+ requests spread over time, revoking it among them: requests that
     * start after the revocation answered must all be 401; earlier ones may go either way.
     */
    async function useWhileRevoking(credential: string, revoke: () => Promise<Reply>) {
      const uses: Promise<{ after: boolean; status: number; code?: string }>[] = [];
      let revoked = false;
      let revocation: Promise<Reply> | undefined;
      let after = 0;
      for (let i = 0; i < 500 && (uses.length < 50 || !revoked || after < 10); i++) {
        if (i === 15) revocation = revoke().then((res) => ((revoked = true), res));
        const startedAfter = revoked;
        if (startedAfter) after += 1;
        uses.push(t.http.get('/api/auth/me', credential).then((res) => ({ after: startedAfter, status: res.status, code: res.body?.code })));
        await sleep(1);
      }
      tally.races += 1;
      tally.requests += uses.length + 1;
      const answers = await Promise.all(uses);
      return { revocation: await revocation!, answers, later: await t.http.get('/api/auth/me', credential) };
    }

    it.each<Kind>(['API token deleted', 'session logged out', 'user disabled by a platform admin'])(
      `%s while 50 requests use it: every request started after the revocation answered is 401 (${rounds(5)} rounds)`,
      async (kind) => {
        for (let round = 0; round < rounds(5); round++) {
          const member = await createMember(t);
          let credential = member.token;
          let revoke: () => Promise<Reply>;
          if (kind === 'API token deleted') {
            const apiToken = await createApiToken(t, member.user.id, null);
            credential = apiToken.token;
            revoke = () => t.http.delete(`/api/tokens/${apiToken.id}`, member.token);
          } else if (kind === 'session logged out') {
            revoke = () => t.http.post('/api/auth/logout', undefined, member.token);
          } else {
            revoke = () => t.http.patch(`/api/users/${member.user.id}`, { status: 'disabled' }, platformAdmin.token);
          }
          const { revocation, answers, later } = await useWhileRevoking(credential, revoke);

          expect(revocation.status).toBeLessThan(300);
          const afterwards = answers.filter((a) => a.after);
          expect(afterwards.length).toBeGreaterThanOrEqual(10);
          expect({ round, afterwards: afterwards.filter((a) => a.status !== 401 || a.code !== 'UNAUTHENTICATED') }).toEqual({ round, afterwards: [] });
          expect(answers.filter((a) => a.status !== 200 && a.status !== 401)).toEqual([]);
          expect({ status: later.status, code: later.body.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
        }
      },
    );
  });
});
