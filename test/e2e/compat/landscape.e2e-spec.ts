import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAccount, createMember, createPlatformAdmin, membershipOf, uniqueAccountName } from '../../factories/account.factory.js';
import { uniqueEmail } from '../../factories/user.factory.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';

/** Seed 000 writes times as `2025-09-15T22:52:11Z`: UTC, no milliseconds. */
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const SEED_KEYS = [
  'account',
  'administrators',
  'company',
  'computers',
  'creation_time',
  'disabled',
  'disabled_reason',
  'enabled_features',
  'last_login_time',
  'licenses',
  'salesforce_account_key',
  'subdomain',
];
const STRONG_PASSWORD = 'Onward-Keel-Harbor-42';

/** Seconds precision, as the Landscape answer writes times. */
const toSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

const countOf = async (t: TestApp, sql: string, params: unknown[] = []) => (await t.db.query(sql, params))[0].count as number;

describe('Landscape-compatible POST /api/v2/accounts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it("answers the seed's example request with 200 and exactly the seed's fields; the caller owns the account", async () => {
    const caller = await createMember(t, { firstName: 'Your', lastName: 'Name' });
    const title = uniqueAccountName('Onward, Inc.');
    const res = await t.http.post('/api/v2/accounts', { title }, caller.token);

    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(SEED_KEYS);
    const [row] = await t.db.query(`SELECT id, slug, name, created_at FROM accounts WHERE name = $1`, [title]);
    const [user] = await t.db.query(`SELECT last_login_at FROM users WHERE id = $1`, [caller.user.id]);
    expect(res.body).toEqual({
      account: row.slug,
      creation_time: toSeconds(row.created_at),
      administrators: [{ name: 'Your Name', email: caller.user.email, openid: null }],
      disabled: false,
      disabled_reason: null,
      computers: 0,
      company: title,
      last_login_time: toSeconds(user.last_login_at),
      licenses: [],
      salesforce_account_key: null,
      enabled_features: [],
      subdomain: null,
    });
    expect(res.body.account).toMatch(/^[a-z0-9]{8}$/);
    expect(res.body.creation_time).toMatch(ISO_SECONDS);
    expect(res.body.last_login_time).toMatch(ISO_SECONDS);
    await expect(membershipOf(t, row.id, caller.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
    const [audit] = await t.db.query(`SELECT action, actor_user_id FROM audit_events WHERE account_id = $1`, [row.id]);
    expect(audit).toEqual({ action: 'account.created', actor_user_id: caller.user.id });
  });

  it('lists the openid of an administrator who has one', async () => {
    const caller = await createMember(t);
    await t.db.query(`UPDATE users SET openid = 'youropenid' WHERE id = $1`, [caller.user.id]);
    const res = await t.http.post('/api/v2/accounts', { title: uniqueAccountName() }, caller.token);
    expect(res.status).toBe(200);
    expect(res.body.administrators).toEqual([{ name: 'Test User', email: caller.user.email, openid: 'youropenid' }]);
  });

  it('answers 409 USER_ALREADY_HAS_ACCOUNT when the caller already belongs to an account, and creates nothing', async () => {
    const { owner } = await createAccount(t);
    const title = uniqueAccountName();
    const res = await t.http.post('/api/v2/accounts', { title }, owner.token);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, code: 'USER_ALREADY_HAS_ACCOUNT', message: expect.any(String) });
    await expect(countOf(t, `SELECT count(*)::int AS count FROM accounts WHERE name = $1`, [title])).resolves.toBe(0);
  });

  it('lets only one of two concurrent requests by the same caller through', async () => {
    const caller = await createMember(t);
    const answers = await Promise.all([1, 2].map(() => t.http.post('/api/v2/accounts', { title: uniqueAccountName() }, caller.token)));
    expect(answers.map((res) => res.status).sort()).toEqual([200, 409]);
    expect(answers.find((res) => res.status === 409)?.body.code).toBe('USER_ALREADY_HAS_ACCOUNT');
    await expect(countOf(t, `SELECT count(*)::int AS count FROM memberships WHERE user_id = $1`, [caller.user.id])).resolves.toBe(1);
  });

  it('answers 409 ACCOUNT_ALREADY_EXISTS for a title taken in another case', async () => {
    const { account } = await createAccount(t);
    const caller = await createMember(t);
    const res = await t.http.post('/api/v2/accounts', { title: account.name.toUpperCase() }, caller.token);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ACCOUNT_ALREADY_EXISTS');
    await expect(countOf(t, `SELECT count(*)::int AS count FROM memberships WHERE user_id = $1`, [caller.user.id])).resolves.toBe(0);
  });

  it('answers 401 UNAUTHENTICATED without a bearer token', async () => {
    const res = await t.http.post('/api/v2/accounts', { title: uniqueAccountName() });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['a missing title', {}, 'title'],
    ['an empty title', { title: '' }, 'title'],
    ['an unknown property', { title: 'X', plan: 'enterprise' }, 'plan'],
  ])('answers 400 VALIDATION_FAILED for %s', async (_label, body, field) => {
    const caller = await createMember(t);
    const res = await t.http.post('/api/v2/accounts', body, caller.token);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field })] });
  });

  it('answers 403 NOT_STANDALONE for /standalone-account outside a standalone deployment, and creates nothing', async () => {
    const email = uniqueEmail('standalone');
    const res = await t.http.post('/api/v2/standalone-account', { email, name: 'John Doe', password: STRONG_PASSWORD });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, code: 'NOT_STANDALONE', message: expect.any(String) });
    await expect(countOf(t, `SELECT count(*)::int AS count FROM users WHERE email = $1`, [email])).resolves.toBe(0);
  });
});

describe('Landscape-compatible POST /api/v2/accounts with self-service off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ SELF_SERVICE_SIGNUP: 'false' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers 403 SELF_SERVICE_DISABLED to a user and creates nothing', async () => {
    const caller = await createMember(t);
    const res = await t.http.post('/api/v2/accounts', { title: uniqueAccountName() }, caller.token);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('SELF_SERVICE_DISABLED');
    await expect(countOf(t, `SELECT count(*)::int AS count FROM memberships WHERE user_id = $1`, [caller.user.id])).resolves.toBe(0);
  });

  it('still lets a platform administrator create an account', async () => {
    const admin = await createPlatformAdmin(t);
    const res = await t.http.post('/api/v2/accounts', { title: uniqueAccountName() }, admin.token);
    expect(res.status).toBe(200);
    expect(res.body.administrators).toEqual([{ name: 'Test User', email: admin.user.email, openid: null }]);
  });
});

describe('Landscape-compatible POST /api/v2/standalone-account', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ STANDALONE_MODE: 'true' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("refuses the seed's own example password Passw0rd as too common (it is #272 of the list), even without strength enforcement", async () => {
    const email = uniqueEmail('john');
    const res = await t.http.post('/api/v2/standalone-account', { email, name: 'John Doe', password: 'Passw0rd' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'password: is too common',
      details: [{ field: 'password', problem: 'is too common' }],
    });
    await expect(countOf(t, `SELECT count(*)::int AS count FROM accounts`)).resolves.toBe(0);
  });

  it.each([
    ['a missing email', { email: undefined }, 'email'],
    ['a missing name', { name: undefined }, 'name'],
    ['a 7-character password', { password: 'Abc-123' }, 'password'],
  ])('answers 400 VALIDATION_FAILED for %s', async (_label, change, field) => {
    const res = await t.http.post('/api/v2/standalone-account', { email: uniqueEmail(), name: 'John Doe', password: STRONG_PASSWORD, ...change });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field })]);
  });

  it("creates the account `standalone` (seed example, unique email) with its administrator, a platform admin, in one go", async () => {
    const email = uniqueEmail('john');
    // A weak but uncommon password passes while ENFORCE_PASSWORD_STRENGTH is off.
    const res = await t.http.post('/api/v2/standalone-account', { email, name: 'John  Doe', password: 'Onward2025' });

    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(SEED_KEYS);
    expect(res.body).toEqual({
      account: 'standalone',
      creation_time: expect.stringMatching(ISO_SECONDS),
      administrators: [{ name: 'John Doe', email, openid: null }],
      disabled: false,
      disabled_reason: null,
      computers: 0,
      company: 'Organization',
      last_login_time: null,
      licenses: [],
      salesforce_account_key: null,
      enabled_features: [],
      subdomain: null,
    });
    const [user] = await t.db.query(`SELECT id, first_name, last_name, is_admin, status FROM users WHERE email = $1`, [email]);
    expect(user).toMatchObject({ first_name: 'John', last_name: 'Doe', is_admin: true, status: 'active' });
    const [account] = await t.db.query(`SELECT id, name, status FROM accounts WHERE slug = 'standalone'`);
    expect(account).toMatchObject({ name: 'Organization', status: 'active' });
    await expect(membershipOf(t, account.id, user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });

    const login = await t.http.post('/api/auth/login', { email, password: 'Onward2025' });
    expect(login.status).toBe(200);
    expect(login.body.user.isAdmin).toBe(true);
  });

  it('answers 409 STANDALONE_ACCOUNT_EXISTS the second time, and creates no user', async () => {
    const email = uniqueEmail('second');
    const res = await t.http.post('/api/v2/standalone-account', { email, name: 'Jane Roe', password: STRONG_PASSWORD });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, code: 'STANDALONE_ACCOUNT_EXISTS', message: expect.any(String) });
    await expect(countOf(t, `SELECT count(*)::int AS count FROM users WHERE email = $1`, [email])).resolves.toBe(0);
    await expect(countOf(t, `SELECT count(*)::int AS count FROM accounts WHERE slug = 'standalone'`)).resolves.toBe(1);
  });
});

describe('Landscape-compatible POST /api/v2/standalone-account with ENFORCE_PASSWORD_STRENGTH=true', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ STANDALONE_MODE: 'true', ENFORCE_PASSWORD_STRENGTH: 'true' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it.each(['Onward2025', 'Summer2024!', 'JohnDoe1985'])('refuses the weak password %s with the estimator’s feedback', async (password) => {
    const res = await t.http.post('/api/v2/standalone-account', { email: uniqueEmail(), name: 'John Doe', password });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.details).toEqual([{ field: 'password', problem: expect.stringMatching(/^is too weak \(strength [0-2] of 4, at least 3 needed\)/) }]);
    await expect(countOf(t, `SELECT count(*)::int AS count FROM accounts`)).resolves.toBe(0);
  });

  it('refuses a password made of the administrator’s own email', async () => {
    const email = uniqueEmail('me');
    const res = await t.http.post('/api/v2/standalone-account', { email, name: 'John Doe', password: email });
    expect(res.status).toBe(400);
    expect(res.body.details[0].problem).toMatch(/^is too weak/);
  });

  it('lets exactly one of two concurrent creations through: the unique slug decides', async () => {
    const answers = await Promise.all(
      ['a', 'b'].map((label) =>
        t.http.post('/api/v2/standalone-account', { email: uniqueEmail(label), name: 'John Doe', password: STRONG_PASSWORD }),
      ),
    );
    expect(answers.map((res) => res.status).sort()).toEqual([200, 409]);
    expect(answers.find((res) => res.status === 409)?.body.code).toBe('STANDALONE_ACCOUNT_EXISTS');
    await expect(countOf(t, `SELECT count(*)::int AS count FROM users`)).resolves.toBe(1);
    await expect(countOf(t, `SELECT count(*)::int AS count FROM accounts`)).resolves.toBe(1);
  });
});

describe('Landscape-compatible POST /api/v2/standalone-account with a BOOTSTRAP_TOKEN', () => {
  const bootstrapToken = 'bootstrap-token-for-the-first-administrator';
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ STANDALONE_MODE: 'true', BOOTSTRAP_TOKEN: bootstrapToken });
  });

  afterAll(async () => {
    await t?.close();
  });

  const body = () => ({ email: uniqueEmail('john'), name: 'John Doe', password: STRONG_PASSWORD });

  it.each([
    ['no bearer token', undefined],
    ['another bearer token', 'bootstrap-token-for-the-first-administratoR'],
    ['a prefix of it', 'bootstrap'],
  ])('answers 401 UNAUTHENTICATED with %s, before validating the body', async (_label, token) => {
    const res = await t.http.post('/api/v2/standalone-account', {}, token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
    await expect(countOf(t, `SELECT count(*)::int AS count FROM accounts`)).resolves.toBe(0);
  });

  it('creates the account with the bootstrap token as the bearer', async () => {
    const res = await t.http.post('/api/v2/standalone-account', body(), bootstrapToken);
    expect(res.status).toBe(200);
    expect(res.body.account).toBe('standalone');
  });
});

describe('Landscape-compatible POST /api/v2/standalone-account: bootstrap token guesses are rate-limited', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ STANDALONE_MODE: 'true', BOOTSTRAP_TOKEN: 'the-real-bootstrap-token', RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '2' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 TOO_MANY_REQUESTS after the limit, before checking the token', async () => {
    const statuses: number[] = [];
    for (const guess of ['guess-1', 'guess-2', 'the-real-bootstrap-token']) {
      statuses.push((await t.http.post('/api/v2/standalone-account', { email: uniqueEmail(), name: 'John Doe', password: STRONG_PASSWORD }, guess)).status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});
