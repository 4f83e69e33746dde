import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAccount, createApiToken, createMember, createPlatformAdmin, membershipOf, type TestUser, uniqueAccountName } from '../../factories/account.factory.js';
import { uniqueEmail } from '../../factories/user.factory.js';
import { databaseFingerprint } from '../../setup/fingerprint.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';

const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const SEED_KEYS = ['created_at', 'email', 'id', 'name', 'settings', 'status', 'type', 'updated_at'];

/** Seed 002's example request, made unique. */
const seedRequest = () => ({
  email: uniqueEmail('owner'),
  name: uniqueAccountName('Acme Inc.'),
  type: 'business',
  password: 'secure_password_here',
  settings: { currency: 'USD', timezone: 'America/New_York', language: 'en' },
});

const usersWithEmail = async (t: TestApp, email: string) =>
  (await t.db.query(`SELECT count(*)::int AS count FROM users WHERE lower(email) = lower($1)`, [email]))[0].count as number;

describe('v1-compatible POST /v1/accounts', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createPlatformAdmin(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  it("answers the seed's example request (self-service) with 201 and exactly the seed's fields", async () => {
    const request = seedRequest();
    const res = await t.http.post('/v1/accounts', request);

    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(SEED_KEYS);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^acct_\d+$/),
      email: request.email,
      name: request.name,
      type: 'business',
      status: 'active',
      created_at: expect.stringMatching(ISO_SECONDS),
      updated_at: expect.stringMatching(ISO_SECONDS),
      settings: { currency: 'USD', timezone: 'America/New_York', language: 'en' },
    });

    const id = Number(res.body.id.slice('acct_'.length));
    const [account] = await t.db.query(`SELECT name, type, status, primary_contact, settings, created_at FROM accounts WHERE id = $1`, [id]);
    expect(account).toMatchObject({ name: request.name, type: 'business', status: 'active', primary_contact: request.email, settings: request.settings });
    expect(res.body.created_at).toBe(account.created_at.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const [user] = await t.db.query(`SELECT id, is_admin, status, password_hash FROM users WHERE email = $1`, [request.email]);
    expect(user).toMatchObject({ is_admin: false, status: 'active', password_hash: expect.stringMatching(/^\$argon2id\$/) });
    await expect(membershipOf(t, id, user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
    const audit = await t.db.query(`SELECT action, actor_user_id FROM audit_events WHERE account_id = $1 OR (target_type = 'user' AND target_id = $2) ORDER BY id`, [
      id,
      String(user.id),
    ]);
    expect(audit).toEqual([
      { action: 'user.created', actor_user_id: user.id },
      { action: 'account.created', actor_user_id: user.id },
    ]);
  });

  it.each([
    ['without settings', undefined, { currency: 'USD', timezone: 'UTC', language: 'en' }],
    ['with some settings', { timezone: 'Europe/Paris' }, { currency: 'USD', timezone: 'Europe/Paris', language: 'en' }],
  ])('fills the default settings %s', async (_label, settings, expected) => {
    const res = await t.http.post('/v1/accounts', { ...seedRequest(), type: 'individual', settings });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'individual', settings: expected });
  });

  it('lets a platform administrator create an account with a JWT or an API token', async () => {
    const apiToken = await createApiToken(t, admin.user.id, null);
    for (const token of [admin.token, apiToken.token]) {
      const request = seedRequest();
      const res = await t.http.post('/v1/accounts', request, token);
      expect(res.status).toBe(201);
      const [audit] = await t.db.query(`SELECT actor_user_id FROM audit_events WHERE action = 'account.created' AND account_id = $1`, [
        Number(res.body.id.slice(5)),
      ]);
      expect(audit.actor_user_id).toBe(admin.user.id);
    }
  });

  it("answers 403 {error: 'unauthorized'} to a bearer who is not a platform administrator, and creates nothing", async () => {
    const member = await createMember(t);
    const request = seedRequest();
    const res = await t.http.post('/v1/accounts', request, member.token);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
    await expect(usersWithEmail(t, request.email)).resolves.toBe(0);
  });

  it.each([
    ['a malformed token', 'not-a-token'],
    ['a forged API token', 'acs_pat_000000000000000000000000000000000000'],
    ['an empty bearer', ''],
  ])("answers 401 {error: 'unauthorized'} for %s, and creates nothing", async (_label, token) => {
    const request = seedRequest();
    const res = await t.http.request('POST', '/v1/accounts', request, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
    await expect(usersWithEmail(t, request.email)).resolves.toBe(0);
  });

  it("answers 409 {error: 'email_exists'} for an email already in use (any case), and creates nothing", async () => {
    const existing = await createMember(t);
    const request = { ...seedRequest(), email: existing.user.email.toUpperCase() };
    const res = await t.http.post('/v1/accounts', request);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'email_exists', message: expect.any(String) });
    await expect(t.db.query(`SELECT count(*)::int AS count FROM accounts WHERE name = $1`, [request.name])).resolves.toEqual([{ count: 0 }]);
  });

  it("answers 409 {error: 'invalid_request'} for a taken account name, and creates no user", async () => {
    const { account } = await createAccount(t);
    const request = { ...seedRequest(), name: account.name };
    const res = await t.http.post('/v1/accounts', request);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'invalid_request', message: 'An account with this name already exists' });
    await expect(usersWithEmail(t, request.email)).resolves.toBe(0);
  });

  it.each([
    ['a missing email', { email: undefined }],
    ['a missing name', { name: undefined }],
    ['a missing type', { type: undefined }],
    ['a missing password', { password: undefined }],
    ['an unknown type', { type: 'government' }],
    ['a malformed email', { email: 'owner-at-example.com' }],
    ['a short password', { password: 'short' }],
    ['a common password', { password: 'password123' }],
    ['an unknown currency', { settings: { currency: 'XXQ' } }],
    ['an unknown property', { plan: 'enterprise' }],
  ])("answers 400 {error: 'invalid_request'} for %s", async (_label, change) => {
    const res = await t.http.post('/v1/accounts', { ...seedRequest(), ...change });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', message: expect.any(String) });
  });

  it('rolls back the user, the account, the membership and the audit events when it fails after the last insert', async () => {
    const before = await databaseFingerprint(t.db);
    const res = await t.http.request('POST', '/v1/accounts', seedRequest(), { headers: { 'x-test-fault': 'after-last-insert' } });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'server_error', message: 'Internal server error' });
    await expect(databaseFingerprint(t.db)).resolves.toEqual(before);
  });
});

describe('v1-compatible POST /v1/accounts with self-service off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ SELF_SERVICE_SIGNUP: 'false' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("answers 403 {error: 'unauthorized'} without a token, and creates nothing", async () => {
    const request = seedRequest();
    const res = await t.http.post('/v1/accounts', request);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'unauthorized', message: 'Self-service signup is disabled' });
    await expect(usersWithEmail(t, request.email)).resolves.toBe(0);
  });

  it('still lets a platform administrator create an account', async () => {
    const admin = await createPlatformAdmin(t);
    const res = await t.http.post('/v1/accounts', seedRequest(), admin.token);
    expect(res.status).toBe(201);
  });
});

describe('v1-compatible POST /v1/accounts with per-IP limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '2' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("answers 429 {error: 'rate_limited'} with Retry-After beyond the limit", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await t.http.post('/v1/accounts', seedRequest())).status);
    expect(statuses).toEqual([201, 201]);
    const res = await t.http.post('/v1/accounts', seedRequest());
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ error: 'rate_limited', message: expect.any(String) });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
