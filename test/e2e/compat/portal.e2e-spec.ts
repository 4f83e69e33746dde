import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createAccount,
  createApiToken,
  createMember,
  createPlatformAdmin,
  membershipOf,
  type TestUser,
  uniqueAccountName,
} from '../../factories/account.factory.js';
import { uniqueEmail } from '../../factories/user.factory.js';
import { databaseFingerprint } from '../../setup/fingerprint.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';

const PATH = '/api/portal/v1/admin/createAccount';
const FAULT = { 'x-test-fault': 'after-last-insert' };

/** Seed 001's example request, made unique. */
const seedRequest = () => ({ name: uniqueAccountName('Zydro Marine'), username: uniqueEmail('owner'), password: 'a-strong-password' });

const usersWithEmail = async (t: TestApp, email: string) =>
  (await t.db.query(`SELECT count(*)::int AS count FROM users WHERE lower(email) = lower($1)`, [email]))[0].count as number;

describe('Portal-compatible POST /api/portal/v1/admin/createAccount', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createPlatformAdmin(t);
    const { account } = await createAccount(t, { owner: admin, fields: { plan: 'oem' } });
    expect(account.plan).toBe('oem');
  });

  afterAll(async () => {
    await t?.close();
  });

  it("answers the seed's example request with 200 and exactly the seed's shape, all created in one go", async () => {
    const request = seedRequest();
    const res = await t.http.request('POST', PATH, request, { token: admin.token });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      account: { id: expect.any(Number), name: request.name, planInstance: 'oem', metadata: {}, createdAt: expect.any(Number) },
      user: { id: expect.any(Number), accountId: res.body.account.id, email: request.username, isAdmin: false, createdAt: expect.any(Number) },
      initialToken: {
        id: expect.stringMatching(/^acs_pat_[0-9A-Za-z]{36}$/),
        name: 'Default',
        userId: res.body.user.id,
        accountId: res.body.account.id,
        userEmail: request.username,
        createdAt: expect.any(Number),
        lastUsedAt: null,
        restrictions: null,
      },
    });
    const { account, user, initialToken } = res.body;
    for (const ms of [account.createdAt, user.createdAt, initialToken.createdAt]) {
      expect(Number.isInteger(ms)).toBe(true);
      expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
    }
    expect(res.headers.get('cache-control')).toBe('no-store');

    const [row] = await t.db.query(`SELECT name, plan, primary_contact, created_at FROM accounts WHERE id = $1`, [account.id]);
    expect(row).toMatchObject({ name: request.name, plan: 'oem', primary_contact: request.username });
    expect(row.created_at.getTime()).toBe(account.createdAt);
    await expect(membershipOf(t, account.id, user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
    const tokens = await t.db.query(`SELECT name, user_id, account_id, secret_hash FROM api_tokens WHERE user_id = $1`, [user.id]);
    expect(tokens).toEqual([{ name: 'Default', user_id: user.id, account_id: account.id, secret_hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    const audit = await t.db.query(
      `SELECT action, actor_user_id FROM audit_events WHERE account_id = $1 OR (target_type = 'user' AND target_id = $2) ORDER BY id`,
      [account.id, String(user.id)],
    );
    expect(audit).toEqual(['user.created', 'account.created', 'token.created'].map((action) => ({ action, actor_user_id: admin.user.id })));

    // The initial token is the primary user's bearer, limited to the new account; the password logs in.
    const me = await t.http.get(`/api/accounts/${account.id}`, initialToken.id);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: account.id, name: request.name, plan: 'oem' });
    const login = await t.http.post('/api/auth/login', { email: request.username, password: request.password });
    expect(login.status).toBe(200);
  });

  it('takes the plan of the account that the caller’s API token is scoped to', async () => {
    const { account: other } = await createAccount(t, { fields: { plan: 'chart-pro' } });
    await t.db.query(`INSERT INTO memberships (account_id, user_id, roles, status) VALUES ($1, $2, '{admin}', 'active')`, [other.id, admin.user.id]);
    const scoped = await createApiToken(t, admin.user.id, other.id);
    const res = await t.http.request('POST', PATH, seedRequest(), { token: scoped.token });
    expect(res.status).toBe(200);
    expect(res.body.account.planInstance).toBe('chart-pro');
  });

  it('takes the default plan when the administrator has no account, and accepts an unscoped API token', async () => {
    const lone = await createPlatformAdmin(t);
    const token = await createApiToken(t, lone.user.id, null);
    const res = await t.http.request('POST', PATH, seedRequest(), { token: token.token });
    expect(res.status).toBe(200);
    expect(res.body.account.planInstance).toBe('free');
  });

  it('answers 401 UNAUTHENTICATED without a token or with a bad one', async () => {
    for (const token of [undefined, 'not-a-token', 'acs_pat_000000000000000000000000000000000000']) {
      const res = await t.http.request('POST', PATH, seedRequest(), { token });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    }
  });

  it('answers 403 UNAUTHORIZED to a user who is not a platform administrator, and creates nothing', async () => {
    const { owner } = await createAccount(t);
    const request = seedRequest();
    const res = await t.http.request('POST', PATH, request, { token: owner.token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, code: 'UNAUTHORIZED', message: expect.any(String) });
    await expect(usersWithEmail(t, request.username)).resolves.toBe(0);
  });

  it.each([
    ['a missing name', { name: undefined }, 'name'],
    ['a missing username', { username: undefined }, 'username'],
    ['a missing password', { password: undefined }, 'password'],
    ['a username that is not an email', { username: 'owner' }, 'username'],
    ["the seed's 4-character minimum (8 holds here)", { password: 'abcd' }, 'password'],
    ['a common password', { password: 'iloveyou' }, 'password'],
  ])('answers 400 VALIDATION_FAILED for %s, and creates nothing', async (_label, change, field) => {
    const request = { ...seedRequest(), ...change };
    const res = await t.http.request('POST', PATH, request, { token: admin.token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field })] });
    if (request.username) await expect(usersWithEmail(t, request.username)).resolves.toBe(0);
  });

  it('answers 400 for a username already in use (any case), as the seed says, and creates nothing', async () => {
    const existing = await createMember(t);
    const request = { ...seedRequest(), username: existing.user.email.toUpperCase() };
    const before = await databaseFingerprint(t.db);
    const res = await t.http.request('POST', PATH, request, { token: admin.token });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'username: is already in use',
      details: [{ field: 'username', problem: 'is already in use' }],
    });
    await expect(databaseFingerprint(t.db)).resolves.toEqual(before);
  });

  it('answers 409 ACCOUNT_ALREADY_EXISTS for a taken account name', async () => {
    const { account } = await createAccount(t);
    const request = { ...seedRequest(), name: account.name };
    const res = await t.http.request('POST', PATH, request, { token: admin.token });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ACCOUNT_ALREADY_EXISTS');
    await expect(usersWithEmail(t, request.username)).resolves.toBe(0);
  });

  it('rolls back the account, the user, the membership, the token and the audit events when it fails after the token insert', async () => {
    const before = await databaseFingerprint(t.db);
    const res = await t.http.request('POST', PATH, seedRequest(), { token: admin.token, headers: FAULT });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ statusCode: 500, code: 'INTERNAL', message: 'Internal server error' });
    await expect(databaseFingerprint(t.db)).resolves.toEqual(before);
  });
});

describe('Portal-compatible createAccount outside the test environment', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'development' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('ignores the test fault header', async () => {
    const admin = await createPlatformAdmin(t);
    const res = await t.http.request('POST', PATH, seedRequest(), { token: admin.token, headers: FAULT });
    expect(res.status).toBe(200);
    await expect(usersWithEmail(t, res.body.user.email)).resolves.toBe(1);
  });
});
