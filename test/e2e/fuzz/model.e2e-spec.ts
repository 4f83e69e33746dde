import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { ACCOUNT_ROLES, type AccountRole, rankOf, roleRank } from '../../../src/memberships/account-role.js';
import { createAccount, createAccountMember, createMember, createPlatformAdmin, type TestUser } from '../../factories/account.factory.js';
import { uniqueEmail } from '../../factories/user.factory.js';
import { INVARIANTS } from '../../setup/invariants.js';
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from '../../setup/smtp.js';
import { type Reply, startTestApp, type TestApp } from '../../setup/test-app.js';

/**
 * Model-based test of one account's memberships: random sequences of invite / add / accept /
 * change roles / disable / enable / remove / leave / resend / transfer, by members of every rank
 * and a platform admin. Each answer is checked against a small model of SPEC's role table and
 * rank rules, and after each step the account's memberships, users and pending invitations in the
 * database must equal the model's, and the account must keep an active owner.
 *
 * Fixed seed and bounded runs: `MODEL_RUNS` (or `FUZZ_RUNS`) sequences (default 30) of up to `MODEL_STEPS` steps
 * (default 25); `FUZZ_SEED` to vary; `FUZZ_SHRINK=1` to shrink a failure to a minimal sequence.
 */
const RUNS = Math.max(1, Number(process.env.MODEL_RUNS ?? process.env.FUZZ_RUNS ?? 30));
const STEPS = Math.max(1, Number(process.env.MODEL_STEPS ?? 25));
/** `FUZZ_SEED=random` picks one (printed at the end) for exploratory runs. */
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 20261125);
const SHRINK = process.env.FUZZ_SHRINK === '1';
const PASSWORD = 'model-based-password-42';
const LINK = /\/invitations\/accept\?token=(\S+)/;

type MembershipStatus = 'active' | 'invited' | 'disabled';

/** What the model knows of one person (a user the test knows). */
interface Person {
  name: string;
  userId: number;
  email: string;
  userStatus: 'active' | 'invited';
  /** An access token, for users who can log in. */
  token?: string;
  membership?: { roles: AccountRole[]; status: MembershipStatus };
  /** The token of the pending invitation (while the membership is invited). */
  invitation?: string;
  /** Tokens that no longer work: superseded, revoked or used. */
  deadInvitations: string[];
}

interface Model {
  accountId: number;
  people: Person[];
  admin: TestUser;
  /** What happened so far, for the failure message. */
  log: string[];
}

type Expected = { status: number; code?: string };

const OWNER = roleRank('owner');
const MANAGE = roleRank('manage');

/** Roles sorted as the service stores them: highest first, no duplicates. */
const sorted = (roles: readonly AccountRole[]) => [...new Set(roles)].sort((a, b) => roleRank(b) - roleRank(a));

describe('memberships of one account against a model of SPEC (fc.commands)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let admin: TestUser;
  const tally = { sequences: 0, steps: 0, answers: new Map<string, number>(), kinds: new Map<string, number>() };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50', APP_URL: 'https://accounts.example.test' });
    admin = await createPlatformAdmin(t);
  }, 120_000); // booting on the embedded database is slow on a busy machine

  afterAll(async () => {
    console.info(
      `model: ${tally.sequences} sequences, ${tally.steps} steps (seed ${SEED}); answers ${JSON.stringify(Object.fromEntries([...tally.answers].sort((a, b) => b[1] - a[1])))}; ` +
        `steps by kind ${JSON.stringify(Object.fromEntries(tally.kinds))}`,
    );
    await t?.close();
    await smtp?.close();
  });

  // -------------------------------------------------------------------------------------------
  // The model's rules (SPEC "Roles and who may do what").

  /** The caller's rank in the account, or undefined when it cannot see it (404). */
  function rankOfCaller(m: Model, caller: Person | 'admin'): number | undefined {
    if (caller === 'admin') return OWNER;
    return caller.membership?.status === 'active' ? rankOf(caller.membership.roles) : undefined;
  }

  /** The guard: 404 for a caller who cannot see the account, 403 below the route's role. */
  function guard(m: Model, caller: Person | 'admin', min: AccountRole): Expected | number {
    const rank = rankOfCaller(m, caller);
    if (rank === undefined) return { status: 404, code: 'ACCOUNT_NOT_FOUND' };
    if (rank < roleRank(min)) return { status: 403, code: 'UNAUTHORIZED' };
    return rank;
  }

  const hasActiveOwner = (people: Person[]) =>
    people.some((p) => p.userStatus === 'active' && p.membership?.status === 'active' && p.membership.roles.includes('owner'));

  const nameOf = (caller: Person | 'admin') =>
    caller === 'admin' ? 'platform admin' : `${caller.name}(${caller.membership ? `${caller.membership.roles.join('+')} ${caller.membership.status}` : 'not a member'})`;

  // -------------------------------------------------------------------------------------------
  // Talking to the service.

  const tokenOf = (m: Model, caller: Person | 'admin') => (caller === 'admin' ? m.admin.token : caller.token!);
  const membersPath = (m: Model, target: Person) => `/api/accounts/${m.accountId}/users/${target.userId}`;

  function tokenIn(mail: ReceivedMail): string | undefined {
    const match = LINK.exec(mail.text);
    return match ? decodeURIComponent(match[1]) : undefined;
  }

  /** The token of the newest invitation mail to the person, not among the ones already known. */
  async function mailedToken(person: Person): Promise<string> {
    const known = new Set([person.invitation, ...person.deadInvitations]);
    const mail = await smtp.waitFor((m) => m.to.some((to) => to.toLowerCase() === person.email.toLowerCase()) && !!tokenIn(m) && !known.has(tokenIn(m)));
    return tokenIn(mail)!;
  }

  /** Checks one answer against the model's expectation. */
  function expectAnswer(m: Model, kind: string, step: string, res: Reply, want: Expected): void {
    const got = { status: res.status, code: res.status >= 400 ? res.body?.code : undefined };
    const key = `${got.status}${got.code ? ` ${got.code}` : ''}`;
    tally.answers.set(key, (tally.answers.get(key) ?? 0) + 1);
    m.log.push(`${step} -> ${key}`);
    tally.kinds.set(kind, (tally.kinds.get(kind) ?? 0) + 1);
    if (got.status !== want.status || got.code !== want.code) {
      throw new Error(`Step ${m.log.length}: ${step}\n  expected ${want.status} ${want.code ?? ''}, got ${key} ${JSON.stringify(res.body)}\n  steps:\n    ${m.log.join('\n    ')}`);
    }
  }

  /** The database must hold what the model says, and the account an active owner. */
  async function verify(m: Model): Promise<void> {
    const rows: { user_id: number; roles: AccountRole[]; status: MembershipStatus }[] = await t.db.query(
      `SELECT user_id, roles, status FROM memberships WHERE account_id = $1 ORDER BY user_id`,
      [m.accountId],
    );
    const actual = Object.fromEntries(rows.map((r) => [r.user_id, { roles: r.roles, status: r.status }]));
    const expected = Object.fromEntries(m.people.filter((p) => p.membership).map((p) => [p.userId, p.membership]));
    const users: { id: number; status: string }[] = await t.db.query(`SELECT id, status FROM users WHERE id = ANY($1) ORDER BY id`, [m.people.map((p) => p.userId)]);
    const pending: { user_id: number; n: number }[] = await t.db.query(
      `SELECT user_id, count(*)::int AS n FROM invitations WHERE account_id = $1 AND status = 'pending' GROUP BY user_id ORDER BY user_id`,
      [m.accountId],
    );
    const state = {
      memberships: actual,
      users: Object.fromEntries(users.map((u) => [u.id, u.status])),
      pendingInvitations: Object.fromEntries(pending.map((p) => [p.user_id, p.n])),
    };
    const want = {
      memberships: expected,
      users: Object.fromEntries(m.people.map((p) => [p.userId, p.userStatus])),
      pendingInvitations: Object.fromEntries(m.people.filter((p) => p.membership?.status === 'invited').map((p) => [p.userId, 1])),
    };
    if (!isDeepStrictEqual(state, want)) {
      throw new Error(`After step ${m.log.length} the database differs from the model\n  database: ${JSON.stringify(state)}\n  model:    ${JSON.stringify(want)}\n  steps:\n    ${m.log.join('\n    ')}`);
    }
    if (!hasActiveOwner(m.people)) throw new Error(`The model lost its owner: a bug of the test\n    ${m.log.join('\n    ')}`);
    const owners = await t.db.query(`${INVARIANTS['account without an active owner (active owner membership of an active user)']} AND a.id = $1`, [m.accountId]);
    expect(owners).toEqual([]);
  }

  // -------------------------------------------------------------------------------------------
  // The commands. Indexes pick people modulo the current number, so any sequence runs.

  type Pick = { caller: number; target: number };

  /**
   * Callers: the people who can log in, and the platform admin; two times in three only the
   * active members and the admin (outsiders' calls all answer 404).
   */
  function callerAt(m: Model, i: number): Person | 'admin' {
    const insiders = i % 3 !== 0;
    const candidates = m.people.filter((p) => p.token && (!insiders || p.membership?.status === 'active'));
    const j = Math.floor(i / 3);
    return j % (candidates.length + 1) === candidates.length ? 'admin' : candidates[j % (candidates.length + 1)];
  }
  const targetAt = (m: Model, i: number) => m.people[i % m.people.length];

  class Step implements fc.AsyncCommand<Model, Model> {
    constructor(
      readonly label: string,
      readonly act: (m: Model) => Promise<void>,
    ) {}
    check(): boolean {
      return true;
    }
    async run(m: Model): Promise<void> {
      tally.steps += 1;
      await this.act(m);
      await verify(m);
    }
    toString(): string {
      return this.label;
    }
  }

  const roles = fc.subarray([...ACCOUNT_ROLES], { minLength: 1, maxLength: 2 });
  const index = fc.nat({ max: 59 });
  const pick = fc.record({ caller: index, target: index });

  /** Expected answer of adding `target` (by email or id) with `wanted` roles; updates the model on success. */
  function expectAdd(m: Model, caller: Person | 'admin', target: Person | undefined, wanted: AccountRole[]): Expected {
    const rank = guard(m, caller, 'manage');
    if (typeof rank !== 'number') return rank;
    if (rankOf(wanted) > rank) return { status: 403, code: 'UNAUTHORIZED' };
    if (target?.membership) return { status: 409, code: 'USER_ALREADY_IN_ACCOUNT' };
    return { status: 201 };
  }

  async function afterAdded(m: Model, target: Person, wanted: AccountRole[]): Promise<void> {
    const invited = target.userStatus === 'invited';
    target.membership = { roles: sorted(wanted), status: invited ? 'invited' : 'active' };
    if (invited) {
      if (target.invitation) target.deadInvitations.push(target.invitation);
      target.invitation = await mailedToken(target);
    }
  }

  const inviteNew = fc.record({ caller: index, roles }).map(
    ({ caller: c, roles: wanted }) =>
      new Step(`invite a new email as ${wanted.join('+')} (caller #${c})`, async (m) => {
        const caller = callerAt(m, c);
        const email = uniqueEmail('model');
        const step = `${nameOf(caller)} invites new ${email.split('@')[0]} as ${wanted.join('+')}`;
        const want = expectAdd(m, caller, undefined, wanted);
        const res = await t.http.post(`/api/accounts/${m.accountId}/users`, { email, roles: wanted }, tokenOf(m, caller));
        expectAnswer(m, 'invite new', step, res, want);
        if (res.status === 201) {
          const person: Person = { name: `N${m.people.length}`, userId: res.body.id, email, userStatus: 'invited', deadInvitations: [] };
          m.people.push(person);
          await afterAdded(m, person, wanted);
        }
      }),
  );

  const addExisting = fc.record({ caller: index, target: index, roles, byEmail: fc.boolean() }).map(
    ({ caller: c, target: i, roles: wanted, byEmail }) =>
      new Step(`add person #${i} as ${wanted.join('+')} ${byEmail ? 'by email' : 'by id'} (caller #${c})`, async (m) => {
        const caller = callerAt(m, c);
        const target = targetAt(m, i);
        const step = `${nameOf(caller)} adds ${nameOf(target)} ${byEmail ? 'by email' : 'by id'} as ${wanted.join('+')}`;
        const want = expectAdd(m, caller, target, wanted);
        const res = byEmail
          ? await t.http.post(`/api/accounts/${m.accountId}/users`, { email: target.email.toUpperCase(), roles: wanted }, tokenOf(m, caller))
          : await t.http.post(membersPath(m, target), { roles: wanted }, tokenOf(m, caller));
        expectAnswer(m, byEmail ? 'add by email' : 'add by id', step, res, want);
        if (res.status === 201) await afterAdded(m, target, wanted);
      }),
  );

  const accept = fc.record({ target: index, stale: fc.boolean() }).map(
    ({ target: i, stale }) =>
      new Step(`invited person #${i} accepts ${stale ? 'a dead' : 'the current'} invitation`, async (m) => {
        // Among the people who ever got an invitation.
        const invited = m.people.filter((p) => p.invitation || p.deadInvitations.length > 0);
        if (invited.length === 0) return; // nothing to accept: a no-op step
        const target = invited[i % invited.length];
        const token = stale ? target.deadInvitations.at(-1) : target.invitation;
        if (!token) return; // nothing to accept: a no-op step
        const step = `${nameOf(target)} accepts ${stale ? 'a dead' : 'the current'} invitation`;
        const valid = !stale && target.membership?.status === 'invited';
        const res = await t.http.post('/api/invitations/accept', { token, password: PASSWORD });
        expectAnswer(m, 'accept', step, res, valid ? { status: 200 } : { status: 400, code: 'INVITATION_INVALID' });
        if (valid) {
          target.userStatus = 'active';
          target.token = res.body.accessToken;
          target.membership!.status = 'active';
          target.deadInvitations.push(token);
          target.invitation = undefined;
        }
      }),
  );

  const changeRoles = fc.record({ pick, roles }).map(
    ({ pick: { caller: c, target: i }, roles: wanted }) =>
      new Step(`person #${i} gets roles ${wanted.join('+')} (caller #${c})`, async (m) => {
        const caller = callerAt(m, c);
        const target = targetAt(m, i);
        const step = `${nameOf(caller)} sets the roles of ${nameOf(target)} to ${wanted.join('+')}`;
        let want: Expected;
        const rank = guard(m, caller, 'manage');
        const next = sorted(wanted);
        if (typeof rank !== 'number') want = rank;
        else if (!target.membership) want = { status: 404, code: 'USER_NOT_FOUND' };
        else if (rankOf(target.membership.roles) > rank) want = { status: 403, code: 'UNAUTHORIZED' };
        else {
          const before = target.membership.roles;
          const changed = [...next.filter((r) => !before.includes(r)), ...before.filter((r) => !next.includes(r))];
          if (rankOf(changed) > rank) want = { status: 403, code: 'UNAUTHORIZED' };
          else {
            target.membership.roles = next;
            want = hasActiveOwner(m.people) ? { status: 200 } : { status: 409, code: 'LAST_OWNER' };
            if (want.status !== 200) target.membership.roles = before;
          }
        }
        const res = await t.http.put(membersPath(m, target), { roles: wanted }, tokenOf(m, caller));
        expectAnswer(m, 'change roles', step, res, want);
      }),
  );

  const setStatus = fc.record({ pick, status: fc.constantFrom<'active' | 'disabled'>('disabled', 'active') }).map(
    ({ pick: { caller: c, target: i }, status }) =>
      new Step(`person #${i} set ${status} (caller #${c})`, async (m) => {
        const caller = callerAt(m, c);
        const target = targetAt(m, i);
        const step = `${nameOf(caller)} sets ${nameOf(target)} ${status}`;
        let want: Expected;
        const rank = guard(m, caller, 'manage');
        if (typeof rank !== 'number') want = rank;
        else if (!target.membership) want = { status: 404, code: 'USER_NOT_FOUND' };
        else if (rankOf(target.membership.roles) > rank) want = { status: 403, code: 'UNAUTHORIZED' };
        else if (target.membership.status === 'invited') want = { status: 409, code: 'CONFLICT' };
        else {
          const before = target.membership.status;
          target.membership.status = status;
          want = hasActiveOwner(m.people) ? { status: 200 } : { status: 409, code: 'LAST_OWNER' };
          if (want.status !== 200) target.membership.status = before;
        }
        const res = await t.http.put(membersPath(m, target), { status }, tokenOf(m, caller));
        expectAnswer(m, status === 'disabled' ? 'disable' : 'enable', step, res, want);
      }),
  );

  /** Remove (`self` false) or leave (`self` true). */
  function removal(self: boolean) {
    return pick.map(
      ({ caller: c, target: i }) =>
        new Step(self ? `caller #${c} leaves` : `person #${i} removed (caller #${c})`, async (m) => {
          const caller = callerAt(m, c);
          if (self && caller === 'admin') return; // the platform admin is no member: nothing to leave
          const target = self ? (caller as Person) : targetAt(m, i);
          const step = self ? `${nameOf(caller)} leaves` : `${nameOf(caller)} removes ${nameOf(target)}`;
          const isSelf = caller !== 'admin' && caller.userId === target.userId;
          let want: Expected;
          const rank = guard(m, caller, 'viewer');
          if (typeof rank !== 'number') want = rank;
          else if (!isSelf && rank < MANAGE) want = { status: 403, code: 'UNAUTHORIZED' };
          else if (!target.membership) want = { status: 404, code: 'USER_NOT_FOUND' };
          else if (!isSelf && rankOf(target.membership.roles) > rank) want = { status: 403, code: 'UNAUTHORIZED' };
          else {
            const before = target.membership;
            target.membership = undefined;
            want = hasActiveOwner(m.people) ? { status: 200 } : { status: 409, code: 'LAST_OWNER' };
            if (want.status !== 200) target.membership = before;
            else if (target.invitation) {
              target.deadInvitations.push(target.invitation); // revoked with the membership
              target.invitation = undefined;
            }
          }
          const res = await t.http.delete(membersPath(m, target), tokenOf(m, caller));
          expectAnswer(m, self ? 'leave' : 'remove', step, res, want);
        }),
    );
  }

  const resend = pick.map(
    ({ caller: c, target: i }) =>
      new Step(`resend to person #${i} (caller #${c})`, async (m) => {
        const caller = callerAt(m, c);
        const target = targetAt(m, i);
        const step = `${nameOf(caller)} resends the invitation of ${nameOf(target)}`;
        let want: Expected;
        const rank = guard(m, caller, 'manage');
        if (typeof rank !== 'number') want = rank;
        else if (!target.membership) want = { status: 404, code: 'USER_NOT_FOUND' };
        else if (rankOf(target.membership.roles) > rank) want = { status: 403, code: 'UNAUTHORIZED' };
        else if (target.membership.status !== 'invited') want = { status: 409, code: 'CONFLICT' };
        else want = { status: 200 };
        const res = await t.http.put(`${membersPath(m, target)}/invite`, undefined, tokenOf(m, caller));
        expectAnswer(m, 'resend', step, res, want);
        if (res.status === 200) {
          const fresh = await mailedToken(target);
          target.deadInvitations.push(target.invitation!);
          target.invitation = fresh;
        }
      }),
  );

  const transfer = pick.map(
    ({ caller: c, target: i }) =>
      new Step(`transfer ownership to person #${i} (caller #${c})`, async (m) => {
        const caller = callerAt(m, c);
        const target = targetAt(m, i);
        const step = `${nameOf(caller)} transfers ownership to ${nameOf(target)}`;
        let want: Expected;
        const rank = guard(m, caller, 'owner');
        if (typeof rank !== 'number') want = rank;
        else if (!target.membership) want = { status: 404, code: 'USER_NOT_FOUND' };
        else if (target.membership.status !== 'active' || target.userStatus !== 'active') want = { status: 409, code: 'CONFLICT' };
        else {
          want = { status: 200 };
          target.membership.roles = sorted([...target.membership.roles, 'owner']);
          if (caller !== 'admin' && caller.userId !== target.userId && caller.membership?.roles.includes('owner')) {
            caller.membership.roles = sorted([...caller.membership.roles.filter((r) => r !== 'owner'), 'admin']);
          }
        }
        const res = await t.http.post(`/api/accounts/${m.accountId}/transfer-ownership`, { userId: target.userId }, tokenOf(m, caller));
        expectAnswer(m, 'transfer', step, res, want);
      }),
  );

  const commands = fc.commands(
    [inviteNew, addExisting, accept, accept, changeRoles, setStatus, removal(false), removal(true), resend, transfer, changeRoles, setStatus, removal(false)],
    { maxCommands: STEPS, size: 'max' },
  );

  /** A fresh account: an owner, an admin, a manager, and a user who is not a member yet. */
  async function setup(): Promise<Model> {
    const { account, owner } = await createAccount(t);
    const adminMember = await createAccountMember(t, account.id, ['admin']);
    const manager = await createAccountMember(t, account.id, ['manage']);
    const outsider = await createMember(t);
    const person = (name: string, u: TestUser, membership?: Person['membership']): Person => ({
      name,
      userId: u.user.id,
      email: u.user.email,
      userStatus: 'active',
      token: u.token,
      membership,
      deadInvitations: [],
    });
    return {
      accountId: account.id,
      admin,
      log: [],
      people: [
        person('O', owner, { roles: ['owner'], status: 'active' }),
        person('A', adminMember, { roles: ['admin'], status: 'active' }),
        person('M', manager, { roles: ['manage'], status: 'active' }),
        person('X', outsider),
      ],
    };
  }

  it(
    `${RUNS} random sequences of up to ${STEPS} steps answer as the model says and keep an active owner`,
    async () => {
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          tally.sequences += 1;
          const model = await setup();
          await fc.asyncModelRun(() => ({ model, real: model }), cmds);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: !SHRINK },
      );
    },
    60_000 + RUNS * STEPS * 1_000,
  );
});
