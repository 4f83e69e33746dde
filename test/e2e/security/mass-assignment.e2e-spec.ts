import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  createAccount,
  createAccountMember,
  createInvitation,
  createMember,
  createPlatformAdmin,
  type TestUser,
  uniqueAccountName,
} from '../../factories/account.factory.js';
import { DEFAULT_PASSWORD, uniqueEmail } from '../../factories/user.factory.js';
import { startSmtpServer, type TestSmtpServer } from '../../setup/smtp.js';
import { type Reply, startTestApp, type TestApp } from '../../setup/test-app.js';
import { databaseFingerprint } from '../../setup/fingerprint.js';

/**
 * Issue 5, mass assignment and prototype pollution. Privileged or server-owned fields (`isAdmin`,
 * `status`, `id`, `emailVerifiedAt`, `passwordHash`, `slug`, a token's `userId` or secret…) in a
 * self-service body answer 400 VALIDATION_FAILED naming the field (403 UNAUTHORIZED where the
 * field exists but needs a higher role), and no row of any table changes. Each group ends with
 * the same body minus the extra field succeeding, so the refusal was the extra field's doing.
 */
const PAST = '2020-01-01T00:00:00.000Z';
const ARGON2_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

/** Fields of a user that only the service or a platform administrator sets. */
function userFields(accountId: number): Record<string, unknown> {
  return {
    id: 1,
    isAdmin: true,
    is_admin: true,
    status: 'active',
    emailVerifiedAt: PAST,
    email_verified_at: PAST,
    passwordHash: ARGON2_HASH,
    password_hash: ARGON2_HASH,
    lastLoginAt: PAST,
    createdAt: PAST,
    openid: 'attacker-openid',
    roles: ['owner'],
    accountId,
  };
}

type Expected = [number, string];
const VALIDATION: Expected = [400, 'VALIDATION_FAILED'];

describe('mass assignment', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let victimAccountId: number;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50' });
    victimAccountId = (await createAccount(t)).account.id;
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /**
   * Sends `base` plus each extra field alone; each answer must be `expected` (400 naming the field
   * by default) and the whole database must be as it was.
   */
  async function refusedWithoutChange(
    send: (body: Record<string, unknown>) => Promise<Reply>,
    base: Record<string, unknown>,
    extras: Record<string, unknown>,
    expected: (field: string) => Expected = () => VALIDATION,
  ): Promise<void> {
    const before = await databaseFingerprint(t.db);
    const answers = [];
    for (const [field, value] of Object.entries(extras)) {
      const res = await send({ ...base, [field]: value });
      // A 400 names the offending field in its details.
      const named = expected(field)[0] !== 400 || (res.body?.details ?? []).some((d: { field: string }) => d.field === field);
      answers.push([field, res.status, res.body?.code, named]);
    }
    expect(answers).toEqual(Object.keys(extras).map((field) => [field, ...expected(field), true]));
    expect(await databaseFingerprint(t.db)).toEqual(before);
  }

  it('POST /api/auth/register', async () => {
    const email = uniqueEmail('register');
    const base = { email, password: DEFAULT_PASSWORD, firstName: 'Reg', lastName: 'Ister' };
    await refusedWithoutChange((body) => t.http.post('/api/auth/register', body), base, { ...userFields(victimAccountId), status: 'disabled' });
    const control = await t.http.post('/api/auth/register', base);
    expect(control.status).toBe(201);
    const [row] = await t.db.query(`SELECT is_admin, status, email_verified_at, openid FROM users WHERE email = $1`, [email]);
    expect(row).toEqual({ is_admin: false, status: 'active', email_verified_at: null, openid: null });
    await expect(membershipCount(control.body.user.id)).resolves.toBe(0);
  });

  it('PATCH /api/users/me', async () => {
    const me = await createMember(t);
    const extras = { ...userFields(victimAccountId), status: 'disabled', email: uniqueEmail('taken-over') };
    await refusedWithoutChange((body) => t.http.patch('/api/users/me', body, me.token), { firstName: 'Renamed' }, extras);
    const control = await t.http.patch('/api/users/me', { firstName: 'Renamed' }, me.token);
    expect(control.status).toBe(200);
    const [row] = await t.db.query(`SELECT first_name, email, is_admin, status, email_verified_at, password_hash FROM users WHERE id = $1`, [me.user.id]);
    expect(row).toEqual({ first_name: 'Renamed', email: me.user.email, is_admin: false, status: 'active', email_verified_at: null, password_hash: me.user.passwordHash });
  });

  it('POST /api/accounts/signup and POST /v1/accounts (self-service)', async () => {
    const email = uniqueEmail('signup');
    const accountName = uniqueAccountName('Signup');
    const base = { email, password: DEFAULT_PASSWORD, firstName: 'Sign', lastName: 'Up', accountName };
    const accountFields = { plan: 'enterprise', slug: 'attacker', status: 'disabled', disabledReason: 'x', metadata: { tier: 'gold' }, userId: 1 };
    await refusedWithoutChange((body) => t.http.post('/api/accounts/signup', body), base, { ...userFields(victimAccountId), ...accountFields });
    const control = await t.http.post('/api/accounts/signup', base);
    expect(control.status).toBe(201);
    const [account] = await t.db.query(`SELECT plan, status, slug, metadata FROM accounts WHERE id = $1`, [control.body.accountId]);
    expect(account).toMatchObject({ plan: 'free', status: 'active', metadata: {} });
    expect(account.slug).not.toBe('attacker');
    const [user] = await t.db.query(`SELECT is_admin, email_verified_at FROM users WHERE id = $1`, [control.body.id]);
    expect(user).toEqual({ is_admin: false, email_verified_at: null });

    const v1Email = uniqueEmail('v1');
    const v1Base = { email: v1Email, name: uniqueAccountName('V1'), type: 'business', password: DEFAULT_PASSWORD };
    const v1Extras = { isAdmin: true, is_admin: true, status: 'disabled', id: 'acct_1', plan: 'enterprise', created_at: PAST, email_verified_at: PAST, password_hash: ARGON2_HASH };
    const before = await databaseFingerprint(t.db);
    for (const [field, value] of Object.entries(v1Extras)) {
      const res = await t.http.post('/v1/accounts', { ...v1Base, [field]: value });
      expect([field, res.status, res.body.error]).toEqual([field, 400, 'invalid_request']);
    }
    expect(await databaseFingerprint(t.db)).toEqual(before);
    expect((await t.http.post('/v1/accounts', v1Base)).status).toBe(201);
  });

  it('POST /api/accounts and POST /api/v2/accounts', async () => {
    const me = await createMember(t);
    const name = uniqueAccountName('Create');
    const extras = {
      id: victimAccountId,
      slug: 'attacker',
      status: 'disabled',
      disabledReason: 'x',
      isAdmin: true,
      ownerId: 1,
      userId: 1,
      roles: ['owner'],
      members: [{ userId: 1, roles: ['owner'] }],
      createdAt: PAST,
      updatedAt: PAST,
      plan: 'enterprise', // a real field, for platform administrators only
    };
    await refusedWithoutChange((body) => t.http.post('/api/accounts', body, me.token), { name }, extras, (field) =>
      field === 'plan' ? [403, 'UNAUTHORIZED'] : VALIDATION,
    );
    const control = await t.http.post('/api/accounts', { name }, me.token);
    expect(control.status).toBe(201);
    expect(control.body).toMatchObject({ plan: 'free', status: 'active' });
    expect(control.body.id).not.toBe(victimAccountId);

    const landscaper = await createMember(t);
    const title = uniqueAccountName('Landscape');
    const landscapeExtras = { isAdmin: true, account: 'attacker', disabled: true, administrators: [{ email: 'x@example.test' }], plan: 'enterprise', id: 1 };
    await refusedWithoutChange((body) => t.http.post('/api/v2/accounts', body, landscaper.token), { title }, landscapeExtras);
    expect((await t.http.post('/api/v2/accounts', { title }, landscaper.token)).status).toBe(200); // the seed answers 200
  });

  it('PUT /api/accounts/{id}', async () => {
    const { account, owner } = await createAccount(t);
    const manager = await createAccountMember(t, account.id, ['manage']);
    const extras = {
      id: victimAccountId,
      slug: 'attacker',
      isAdmin: true,
      ownerId: manager.user.id,
      userId: manager.user.id,
      roles: ['owner'],
      members: [{ userId: manager.user.id, roles: ['owner'] }],
      createdAt: PAST,
      updatedAt: PAST,
      accountId: victimAccountId,
    };
    const base = { description: 'changed' };
    await refusedWithoutChange((body) => t.http.put(`/api/accounts/${account.id}`, body, manager.token), base, extras);
    // Real fields above the caller's role: 403 UNAUTHORIZED, nothing changed.
    await refusedWithoutChange((body) => t.http.put(`/api/accounts/${account.id}`, body, manager.token), base, { status: 'disabled', disabledReason: 'mine now' }, () => [403, 'UNAUTHORIZED']);
    await refusedWithoutChange((body) => t.http.put(`/api/accounts/${account.id}`, body, owner.token), base, { plan: 'enterprise' }, () => [403, 'UNAUTHORIZED']);
    const control = await t.http.put(`/api/accounts/${account.id}`, base, manager.token);
    expect(control.status).toBe(200);
    const [row] = await t.db.query(`SELECT description, slug, status, plan FROM accounts WHERE id = $1`, [account.id]);
    expect(row).toEqual({ description: 'changed', slug: account.slug, status: 'active', plan: 'free' });
  });

  it('POST /api/tokens', async () => {
    const me = await createMember(t);
    const other = await createMember(t);
    const extras = {
      userId: other.user.id,
      user_id: other.user.id,
      id: '00000000-0000-4000-8000-000000000000',
      token: 'acs_pat_chosenbytheattacker000000000000',
      secretHash: '0'.repeat(64),
      secret_hash: '0'.repeat(64),
      secretHint: 'abcd',
      hint: 'abcd',
      revokedAt: null,
      lastUsedAt: PAST,
      createdAt: PAST,
      isAdmin: true,
      scopes: ['admin'],
    };
    await refusedWithoutChange((body) => t.http.post('/api/tokens', body, me.token), { name: 'mine' }, extras);
    // Unknown fields inside `restrictions` too.
    const before = await databaseFingerprint(t.db);
    for (const restrictions of [{ readOnly: false, isAdmin: true }, { ipAllowlist: ['127.0.0.0/8'], accountId: victimAccountId }, { bypass: true }]) {
      const res = await t.http.post('/api/tokens', { name: 'mine', restrictions }, me.token);
      const extra = Object.keys(restrictions).find((k) => k !== 'readOnly' && k !== 'ipAllowlist');
      expect([res.status, res.body.code, res.body.details?.map((d: { field: string }) => d.field)]).toEqual([400, 'VALIDATION_FAILED', [`restrictions.${extra}`]]);
    }
    expect(await databaseFingerprint(t.db)).toEqual(before);
    const control = await t.http.post('/api/tokens', { name: 'mine' }, me.token);
    expect(control.status).toBe(201);
    const rows = await t.db.query(`SELECT user_id, secret_hash FROM api_tokens WHERE id = $1`, [control.body.id]);
    expect(rows).toEqual([{ user_id: me.user.id, secret_hash: expect.not.stringMatching(/^0+$/) }]);
    expect(control.body.token).not.toBe(extras.token);
  });

  it('member and invitation bodies', async () => {
    const { account } = await createAccount(t);
    const manager = await createAccountMember(t, account.id, ['manage']);
    const member = await createAccountMember(t, account.id, ['viewer']);
    const outsider = await createMember(t);
    const privileged = { isAdmin: true, userId: 1, accountId: victimAccountId, passwordHash: ARGON2_HASH, emailVerifiedAt: PAST, id: 1 };

    const newEmail = uniqueEmail('added');
    const addBase = { email: newEmail, roles: ['user'] };
    await refusedWithoutChange((body) => t.http.post(`/api/accounts/${account.id}/users`, body, manager.token), addBase, { ...privileged, status: 'active' });
    await refusedWithoutChange((body) => t.http.post(`/api/accounts/${account.id}/users/${outsider.user.id}`, body, manager.token), { roles: ['viewer'] }, { ...privileged, status: 'active' });
    await refusedWithoutChange((body) => t.http.put(`/api/accounts/${account.id}/users/${member.user.id}`, body, manager.token), { roles: ['user'] }, { ...privileged, email: uniqueEmail() });

    const invitation = await createInvitation(t, account.id, ['viewer']);
    const acceptBase = { token: invitation.token, password: DEFAULT_PASSWORD };
    await refusedWithoutChange((body) => t.http.post('/api/invitations/accept', body), acceptBase, {
      ...privileged,
      roles: ['owner'],
      status: 'active',
      email: uniqueEmail('swap'),
    });

    // Controls: each base body works, and grants no more than it names.
    expect((await t.http.post(`/api/accounts/${account.id}/users`, addBase, manager.token)).status).toBe(201);
    expect((await t.http.post(`/api/accounts/${account.id}/users/${outsider.user.id}`, { roles: ['viewer'] }, manager.token)).status).toBe(201);
    expect((await t.http.put(`/api/accounts/${account.id}/users/${member.user.id}`, { roles: ['user'] }, manager.token)).status).toBe(200);
    const accepted = await t.http.post('/api/invitations/accept', acceptBase);
    expect(accepted.status).toBe(200);
    const rows = await t.db.query(
      `SELECT u.email, u.is_admin, m.roles FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = $1 ORDER BY u.id`,
      [account.id],
    );
    expect(rows.filter((r: { is_admin: boolean }) => r.is_admin)).toEqual([]);
    expect(rows.find((r: { email: string }) => r.email === invitation.user.email).roles).toEqual(['viewer']);
  });

  it('POST /api/portal/v1/admin/createAccount (even for a platform administrator)', async () => {
    const admin = await createPlatformAdmin(t);
    const base = { name: uniqueAccountName('Portal'), username: uniqueEmail('portal'), password: DEFAULT_PASSWORD };
    const extras = { isAdmin: true, planInstance: 'enterprise', accountId: victimAccountId, metadata: { tier: 'gold' }, id: 1, status: 'disabled' };
    await refusedWithoutChange((body) => t.http.post('/api/portal/v1/admin/createAccount', body, admin.token), base, extras);
    const control = await t.http.post('/api/portal/v1/admin/createAccount', base, admin.token);
    expect(control.status).toBe(200);
    expect(control.body.user.isAdmin).toBe(false);
  });

  async function membershipCount(userId: number): Promise<number> {
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM memberships WHERE user_id = $1`, [userId]);
    return count;
  }
});

describe('prototype pollution', () => {
  let t: TestApp;
  let me: TestUser;
  let accountId: number;
  /** A property name no code would ever set: its appearance anywhere means pollution. */
  const sentinel = `polluted_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    t = await startTestApp();
    me = await createMember(t);
    const { account } = await createAccount(t, { owner: me });
    accountId = account.id;
  });

  afterAll(async () => {
    delete (Object.prototype as Record<string, unknown>)[sentinel]; // in case a test failed: do not poison later tests
    delete (Object.prototype as Record<string, unknown>).isAdmin;
    await t?.close();
  });

  const raw = (method: string, path: string, json: string) => t.http.request(method, path, undefined, { token: me.token, raw: json });
  const poison = `{"isAdmin": true, "${sentinel}": "yes"}`;

  it('refuses __proto__ and constructor.prototype at the top level and nested (400), and changes nothing', async () => {
    const bodies: [string, string, string][] = [];
    const keyed = (key: string) => [
      `{"firstName": "Proto", "${key}": ${poison}}`,
      `{"${key}": ${poison}, "firstName": "Proto"}`,
    ];
    for (const json of [
      ...keyed('__proto__'),
      `{"firstName": "Proto", "\\u005f_proto__": ${poison}}`,
      `{"firstName": "Proto", "constructor": {"prototype": ${poison}}}`,
    ]) {
      bodies.push(['PATCH', '/api/users/me', json]);
    }
    for (const json of [
      `{"metadata": {"__proto__": ${poison}}}`,
      `{"metadata": {"deep": {"deeper": {"__proto__": ${poison}}}}}`,
      `{"metadata": {"constructor": {"prototype": ${poison}}}}`,
      `{"metadata": {"list": [{"__proto__": ${poison}}]}}`,
      `{"settings": {"__proto__": {"currency": "EUR", "${sentinel}": 1}}}`,
      `{"settings": {"constructor": {"prototype": {"currency": "EUR", "${sentinel}": 1}}}}`,
      `{"__proto__": {"status": "disabled", "${sentinel}": 1}, "description": "x"}`,
    ]) {
      bodies.push(['PUT', `/api/accounts/${accountId}`, json]);
    }
    bodies.push(['POST', '/api/accounts', `{"name": "Proto Account ${sentinel}", "__proto__": ${poison}}`]);
    bodies.push(['POST', '/api/accounts', `{"name": "Proto Account ${sentinel}", "metadata": {"__proto__": ${poison}}}`]);
    bodies.push(['POST', '/api/tokens', `{"name": "proto", "restrictions": {"__proto__": {"readOnly": false}}}`]);
    bodies.push(['POST', '/api/tokens', `{"name": "proto", "constructor": {"prototype": ${poison}}}`]);

    const before = await databaseFingerprint(t.db);
    const answers = [];
    for (const [method, path, json] of bodies) {
      const res = await raw(method, path, json);
      answers.push([method, path, json, res.status, res.body?.code]);
    }
    expect(answers).toEqual(bodies.map(([method, path, json]) => [method, path, json, 400, 'VALIDATION_FAILED']));
    expect(await databaseFingerprint(t.db)).toEqual(before);
    await expectNoPollution();
  });

  it('refuses "prototype" and "constructor" keys (top level, in metadata, in settings) with 400, changing nothing and polluting nothing', async () => {
    // Each body also carries a legitimate change, which must not take effect either.
    const cases: string[] = [];
    const add = (body: string) => cases.push(body);
    add(`{"metadata": {"prototype": ${poison}, "kept": 1}}`);
    add(`{"metadata": {"constructor": ${poison}, "kept": 2}}`);
    add(`{"metadata": {"a": {"prototype": {"constructor": ${poison}}, "b": 3}}}`);
    add(`{"settings": {"prototype": {"currency": "EUR"}}, "description": "d1"}`);
    add(`{"settings": {"constructor": {"currency": "EUR"}}, "description": "d2"}`);
    add(`{"description": "d3", "prototype": ${poison}}`);
    add(`{"description": "d4", "constructor": ${poison}}`);
    add(`{"description": "d5", "constructor": {"name": "Object", "prototype": {"status": "disabled"}}}`);
    const seen: string[] = [];
    for (const json of cases) {
      const before = await accountRow();
      const res = await raw('PUT', `/api/accounts/${accountId}`, json);
      const after = await accountRow();
      seen.push(`${res.status} ${json.replaceAll(sentinel, 'SENTINEL')}`);
      // A `constructor.prototype` pair is refused by the JSON parser already; any other such key by the validation pipe.
      expect([json, res.status, res.body.code, res.body.details?.[0]?.problem ?? res.body.message]).toEqual([
        json,
        400,
        'VALIDATION_FAILED',
        json.includes('"constructor": {"name"') ? 'The request body is not valid JSON' : 'is a reserved name',
      ]);
      expect(after).toEqual(before);
    }
    console.info(`prototype-named keys (status, body):\n${seen.join('\n')}`);
    await expectNoPollution();
  });

  it('ignores or refuses prototype keys in query strings', async () => {
    const queries = [
      `?__proto__[isAdmin]=true&__proto__[${sentinel}]=1`,
      `?__proto__.${sentinel}=1`,
      `?constructor[prototype][${sentinel}]=1`,
      `?$filter=name eq '__proto__'&__proto__=1`,
    ];
    for (const query of queries) {
      const res = await t.http.get(`/api/accounts${encodeURI(query)}`, me.token);
      expect([query, res.status < 500, res.status === 200 || res.body?.code === 'VALIDATION_FAILED']).toEqual([query, true, true]);
    }
    await expectNoPollution();
  });

  /** No object of this realm (the app runs in-process) inherits the sentinel, and the server still judges roles right. */
  async function expectNoPollution(): Promise<void> {
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, sentinel)).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'isAdmin')).toBe(false);
    expect(({} as Record<string, unknown>)[sentinel]).toBeUndefined();
    const self = await t.http.get('/api/users/me', me.token);
    expect(self.status).toBe(200);
    expect(self.body.isAdmin).toBe(false);
    expect(JSON.stringify(self.body)).not.toContain(sentinel);
    const adminOnly = await t.http.get('/api/users', me.token);
    expect([adminOnly.status, adminOnly.body.code]).toEqual([403, 'UNAUTHORIZED']);
    const account = await t.http.get(`/api/accounts/${accountId}`, me.token);
    expect(account.body.status).toBe('active');
    expect(account.body.settings).toEqual({ currency: 'USD', timezone: 'UTC', language: 'en' });
    const [row] = await t.db.query(`SELECT is_admin FROM users WHERE id = $1`, [me.user.id]);
    expect(row.is_admin).toBe(false);
  }

  async function accountRow(): Promise<Record<string, unknown>> {
    const [row] = await t.db.query(`SELECT * FROM accounts WHERE id = $1`, [accountId]);
    return row;
  }
});
