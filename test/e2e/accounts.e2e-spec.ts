import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  addMembership,
  type AccountWithMembers,
  createAccount,
  createAccountMember,
  createAccountWithMembers,
  createApiToken,
  createInvitation,
  createMember,
  createPlatformAdmin,
  membershipOf,
  type TestUser,
  uniqueAccountName,
} from '../factories/account.factory.js';
import { uniqueEmail } from '../factories/user.factory.js';
import { databaseFingerprint } from '../setup/fingerprint.js';
import { startSmtpServer, type TestSmtpServer } from '../setup/smtp.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';

/** The full account representation every account endpoint answers with. */
const ACCOUNT_SHAPE = {
  id: expect.any(Number),
  slug: expect.stringMatching(/^[a-z0-9]{8}$/),
  name: expect.any(String),
  description: null,
  primaryContact: null,
  type: 'business',
  status: 'active',
  disabledReason: null,
  country: null,
  plan: 'free',
  metadata: {},
  settings: { currency: 'USD', timezone: 'UTC', language: 'en' },
  createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
  updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
};

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Ids that no route taking an integer id accepts. */
const MALFORMED_IDS = ['0', '-1', '99999999999', 'abc', '1.5', '2147483648'];

describe('accounts', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let platformAdmin: TestUser;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50' });
    platformAdmin = await createPlatformAdmin(t);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const accountRow = async (id: number) => {
    const [row] = await t.db.query(`SELECT * FROM accounts WHERE id = $1`, [id]);
    return row;
  };
  const countWhere = async (sql: string, params: unknown[]): Promise<number> => {
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM ${sql}`, params);
    return count;
  };
  const accountsNamed = (name: string) => countWhere(`accounts WHERE lower(name) = lower($1)`, [name]);
  const usersWithEmail = (email: string) => countWhere(`users WHERE lower(email) = lower($1)`, [email]);

  describe('POST /api/accounts/signup', () => {
    const signupBody = () => ({
      email: uniqueEmail('signup'),
      password: 'secure_password_123',
      firstName: 'John',
      lastName: 'Doe',
      accountName: uniqueAccountName('Acme Corporation'),
      country: 'US',
    });

    it("creates the user, the account and the owner membership from the seed's example body", async () => {
      const body = signupBody();
      const res = await t.http.post('/api/accounts/signup', body);

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        email: body.email,
        accountId: expect.any(Number),
        accountName: body.accountName,
        createdAt: expect.stringMatching(ISO),
      });
      const [user] = await t.db.query(`SELECT * FROM users WHERE id = $1`, [res.body.id]);
      expect(user).toMatchObject({ email: body.email, first_name: 'John', last_name: 'Doe', status: 'active', is_admin: false });
      expect(user.password_hash).toMatch(/^\$argon2id\$/);
      await expect(accountRow(res.body.accountId)).resolves.toMatchObject({
        name: body.accountName,
        country: 'US',
        status: 'active',
        type: 'business',
        plan: 'free',
        settings: { currency: 'USD', timezone: 'UTC', language: 'en' },
      });
      await expect(membershipOf(t, res.body.accountId, res.body.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });

      // The new owner logs in with the password and sees the account.
      const login = await t.http.post('/api/auth/login', { email: body.email, password: body.password });
      expect(login.status).toBe(200);
      const get = await t.http.get(`/api/accounts/${res.body.accountId}`, login.body.accessToken);
      expect(get.status).toBe(200);
      expect(get.body.name).toBe(body.accountName);
    });

    it('answers 409 EMAIL_ALREADY_EXISTS for a taken email in another case and leaves no account behind', async () => {
      const { user } = await createMember(t);
      const body = { ...signupBody(), email: user.email.toUpperCase() };
      const res = await t.http.post('/api/accounts/signup', body);

      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, code: 'EMAIL_ALREADY_EXISTS', message: expect.any(String) });
      await expect(usersWithEmail(user.email)).resolves.toBe(1);
      await expect(accountsNamed(body.accountName)).resolves.toBe(0);
    });

    it('answers 409 ACCOUNT_ALREADY_EXISTS for a taken account name in another case and leaves no user behind', async () => {
      const { account } = await createAccount(t);
      const body = { ...signupBody(), accountName: account.name.toUpperCase() };
      const res = await t.http.post('/api/accounts/signup', body);

      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, code: 'ACCOUNT_ALREADY_EXISTS', message: expect.any(String) });
      await expect(usersWithEmail(body.email)).resolves.toBe(0);
      await expect(accountsNamed(account.name)).resolves.toBe(1);
    });

    it.each([
      ['an unknown property', { isAdmin: true }, 'isAdmin'],
      ['an account name of 256 characters', { accountName: 'n'.repeat(256) }, 'accountName'],
      ['a NUL character in the account name', { accountName: 'Acme\u0000Corp' }, 'accountName'],
      ['a NUL character in the first name', { firstName: 'Jo\u0000hn' }, 'firstName'],
      ['an empty account name', { accountName: '' }, 'accountName'],
      ['a three-letter country', { country: 'USA' }, 'country'],
      ['a malformed email', { email: 'not-an-email' }, 'email'],
      ['a 7-character password', { password: 'short12' }, 'password'],
    ])('answers 400 VALIDATION_FAILED for %s and creates nothing', async (_label, change, field) => {
      const body = { ...signupBody(), ...change };
      const res = await t.http.post('/api/accounts/signup', body);

      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual(expect.arrayContaining([{ field, problem: expect.any(String) }]));
      await expect(usersWithEmail(body.email)).resolves.toBe(0);
      // (PostgreSQL cannot even compare a text holding NUL: look for the name without it.)
      await expect(accountsNamed(body.accountName.replace(/\u0000/g, ''))).resolves.toBe(0);
    });

    it('rolls back the user, the account, the membership, the audit event and the verification mail when it fails after the last insert', async () => {
      const before = await databaseFingerprint(t.db);
      const body = signupBody();
      const res = await t.http.request('POST', '/api/accounts/signup', body, { headers: { 'x-test-fault': 'after-last-insert' } });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ statusCode: 500, code: 'INTERNAL', message: 'Internal server error' });
      await expect(databaseFingerprint(t.db)).resolves.toEqual(before);
      // Without the fault, the same body goes through: the fault was the only reason.
      expect((await t.http.post('/api/accounts/signup', body)).status).toBe(201);
    });

    it('accepts an account name of exactly 255 characters', async () => {
      const body = { ...signupBody(), accountName: `${uniqueAccountName('Long')} `.padEnd(255, 'x') };
      const res = await t.http.post('/api/accounts/signup', body);
      expect(res.status).toBe(201);
      await expect(accountRow(res.body.accountId)).resolves.toMatchObject({ name: body.accountName });
    });

    it('answers 403 SELF_SERVICE_DISABLED when SELF_SERVICE_SIGNUP=false, and creates nothing', async () => {
      const closed = await startTestApp({ SELF_SERVICE_SIGNUP: 'false', SMTP_URL: smtp.url });
      try {
        const body = signupBody();
        const res = await closed.http.post('/api/accounts/signup', body);
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ statusCode: 403, code: 'SELF_SERVICE_DISABLED', message: expect.any(String) });
        const [{ users }] = await closed.db.query(`SELECT count(*)::int AS users FROM users WHERE lower(email) = lower($1)`, [body.email]);
        const [{ accounts }] = await closed.db.query(`SELECT count(*)::int AS accounts FROM accounts WHERE name = $1`, [body.accountName]);
        expect({ users, accounts }).toEqual({ users: 0, accounts: 0 });
      } finally {
        await closed.close();
      }
    });
  });

  describe('POST /api/accounts', () => {
    it("creates the seed's example account with the caller as its owner", async () => {
      const caller = await createMember(t);
      const body = { name: uniqueAccountName('Enterprise Account'), description: 'Main enterprise account', primaryContact: 'contact@enterprise.com' };
      const res = await t.http.post('/api/accounts', body, caller.token);

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ ...ACCOUNT_SHAPE, name: body.name, description: body.description, primaryContact: body.primaryContact });
      await expect(accountRow(res.body.id)).resolves.toMatchObject({
        name: body.name,
        description: body.description,
        primary_contact: body.primaryContact,
        status: 'active',
      });
      await expect(membershipOf(t, res.body.id, caller.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
      await expect(countWhere(`memberships WHERE account_id = $1`, [res.body.id])).resolves.toBe(1);
      const [audit] = await t.db.query(`SELECT action, actor_user_id FROM audit_events WHERE account_id = $1`, [res.body.id]);
      expect(audit).toEqual({ action: 'account.created', actor_user_id: caller.user.id });
    });

    it('fills settings from the defaults and keeps the ones given', async () => {
      const caller = await createMember(t);
      const body = { name: uniqueAccountName(), settings: { timezone: 'Europe/Paris' }, metadata: { tier: 'gold' }, country: 'FR', type: 'individual' };
      const res = await t.http.post('/api/accounts', body, caller.token);

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        ...ACCOUNT_SHAPE,
        name: body.name,
        type: 'individual',
        country: 'FR',
        metadata: { tier: 'gold' },
        settings: { currency: 'USD', timezone: 'Europe/Paris', language: 'en' },
      });
      await expect(accountRow(res.body.id)).resolves.toMatchObject({ settings: { currency: 'USD', timezone: 'Europe/Paris', language: 'en' } });
    });

    it('answers 401 UNAUTHENTICATED without a token and creates nothing', async () => {
      const name = uniqueAccountName();
      const res = await t.http.post('/api/accounts', { name });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
      await expect(accountsNamed(name)).resolves.toBe(0);
    });

    it('answers 409 ACCOUNT_ALREADY_EXISTS for a name taken in another case, without a second account or membership', async () => {
      const { account } = await createAccount(t);
      const caller = await createMember(t);
      const res = await t.http.post('/api/accounts', { name: account.name.toLowerCase() }, caller.token);

      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, code: 'ACCOUNT_ALREADY_EXISTS', message: expect.any(String) });
      await expect(accountsNamed(account.name)).resolves.toBe(1);
      await expect(countWhere(`memberships WHERE user_id = $1`, [caller.user.id])).resolves.toBe(0);
    });

    it('lets only a platform administrator set the plan (403 UNAUTHORIZED otherwise)', async () => {
      const caller = await createMember(t);
      const refused = uniqueAccountName();
      const res = await t.http.post('/api/accounts', { name: refused, plan: 'enterprise' }, caller.token);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('UNAUTHORIZED');
      await expect(accountsNamed(refused)).resolves.toBe(0);

      const allowed = await t.http.post('/api/accounts', { name: uniqueAccountName(), plan: 'enterprise' }, platformAdmin.token);
      expect(allowed.status).toBe(201);
      await expect(accountRow(allowed.body.id)).resolves.toMatchObject({ plan: 'enterprise' });
    });

    it.each([
      ['an unknown property', { status: 'disabled' }, 'status'],
      ['a name of 256 characters', { name: 'n'.repeat(256) }, 'name'],
      ['a NUL character in the name', { name: 'Acme\u0000' }, 'name'],
      ['a NUL character in the description', { description: 'a\u0000b' }, 'description'],
      ['a NUL character inside metadata', { metadata: { note: 'a\u0000b' } }, 'metadata'],
      ['a description of 2001 characters', { description: 'd'.repeat(2001) }, 'description'],
      ['a missing name', { name: undefined }, 'name'],
      ['a name that is not a string', { name: 42 }, 'name'],
      ['a lower-case currency', { settings: { currency: 'usd' } }, 'settings.currency'],
      ['an unknown currency', { settings: { currency: 'XYZ' } }, 'settings.currency'],
      ['an unknown time zone', { settings: { timezone: 'Mars/Olympus_Mons' } }, 'settings.timezone'],
      ['a malformed language tag', { settings: { language: 'english!' } }, 'settings.language'],
      ['an unknown settings property', { settings: { theme: 'dark' } }, 'settings.theme'],
      ['metadata over 16 KB', { metadata: { blob: 'x'.repeat(16 * 1024) } }, 'metadata'],
      ['metadata that is an array', { metadata: ['a'] }, 'metadata'],
      ['an unknown type', { type: 'government' }, 'type'],
      ['a malformed primary contact', { primaryContact: 'nobody' }, 'primaryContact'],
    ])('answers 400 VALIDATION_FAILED for %s and creates nothing', async (_label, change, field) => {
      const caller = await createMember(t);
      const name = uniqueAccountName();
      const res = await t.http.post('/api/accounts', { name, ...change }, caller.token);

      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual(expect.arrayContaining([{ field, problem: expect.any(String) }]));
      await expect(countWhere(`memberships WHERE user_id = $1`, [caller.user.id])).resolves.toBe(0);
      await expect(accountsNamed(name)).resolves.toBe(0);
    });
  });

  describe('GET /api/accounts', () => {
    /** A member of three accounts whose names share a prefix, beside accounts of other people with that prefix. */
    let prefix: string;
    let member: TestUser;
    let mine: { id: number; name: string }[];
    let others: { id: number; name: string }[];

    beforeAll(async () => {
      prefix = `List${process.pid}${Math.random().toString(36).slice(2, 6)}`;
      member = await createMember(t);
      mine = [];
      for (const suffix of ['B', 'A', 'C']) {
        const { account } = await createAccount(t, { owner: member, fields: { name: `${prefix} ${suffix}` } });
        mine.push(account);
      }
      others = [];
      for (const suffix of ['D', 'E']) others.push((await createAccount(t, { fields: { name: `${prefix} ${suffix}` } })).account);
      // Memberships that are not active do not show the account.
      await addMembership(t, others[0].id, member.user.id, ['viewer'], 'invited');
      await addMembership(t, others[1].id, member.user.id, ['viewer'], 'disabled');
    });

    const list = (query: string, token = member.token) => t.http.get(`/api/accounts${query}`, token);
    const q = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;

    it('shows a member only the accounts they actively belong to, in the full shape, ordered by id', async () => {
      const res = await list('');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ value: expect.any(Array), count: 3 });
      expect(res.body.value.map((a: { id: number }) => a.id)).toEqual(mine.map((a) => a.id).sort((a, b) => a - b));
      for (const account of res.body.value) expect(account).toEqual({ ...ACCOUNT_SHAPE, name: expect.stringMatching(new RegExp(`^${prefix} `)) });
    });

    it('filters, orders and pages with $filter, $orderby, $top, $skip and counts every match', async () => {
      const filter = `startswith(name, '${prefix}') and name ne '${prefix} C'`;
      const res = await list(q({ $filter: filter, $orderby: 'name desc', $top: '1', $skip: '1' }));
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(2);
      expect(res.body.value.map((a: { name: string }) => a.name)).toEqual([`${prefix} A`]);

      const exact = await list(q({ $filter: `name eq '${prefix} B'` }));
      expect(exact.body).toEqual({ value: [expect.objectContaining({ id: mine[0].id, name: `${prefix} B` })], count: 1 });

      const sorted = await list(q({ $orderby: 'name asc' }));
      expect(sorted.body.value.map((a: { name: string }) => a.name)).toEqual([`${prefix} A`, `${prefix} B`, `${prefix} C`]);

      const beyond = await list(q({ $skip: '10' }));
      expect(beyond.body).toEqual({ value: [], count: 3 });
    });

    it('filters on datetimes', async () => {
      const since = new Date(Date.now() - 3600 * 1000).toISOString();
      const recent = await list(q({ $filter: `createdAt gt ${since} and startswith(name, '${prefix}')` }));
      expect(recent.status).toBe(200);
      expect(recent.body.count).toBe(3);
      const future = await list(q({ $filter: `createdAt gt 2999-01-01T00:00:00Z` }));
      expect(future.body).toEqual({ value: [], count: 0 });
    });

    it('matches % and _ inside contains() literally', async () => {
      const res = await list(q({ $filter: `contains(name, '%')` }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ value: [], count: 0 });
    });

    it('shows a platform administrator every account, members or not', async () => {
      const res = await list(q({ $filter: `startswith(name, '${prefix}')`, $orderby: 'name' }), platformAdmin.token);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(5);
      expect(res.body.value.map((a: { name: string }) => a.name)).toEqual(['A', 'B', 'C', 'D', 'E'].map((s) => `${prefix} ${s}`));

      const all = await list('', platformAdmin.token);
      await expect(countWhere('accounts', [])).resolves.toBe(all.body.count);
    });

    it.each([
      ['$top over 100', { $top: '101' }, 'VALIDATION_FAILED'],
      ['a negative $top', { $top: '-1' }, 'VALIDATION_FAILED'],
      ['a $top that is not a number', { $top: 'ten' }, 'VALIDATION_FAILED'],
      ['a negative $skip', { $skip: '-1' }, 'VALIDATION_FAILED'],
      ['a fractional $skip', { $skip: '1.5' }, 'VALIDATION_FAILED'],
      ['an unknown query option', { $expand: 'users' }, 'VALIDATION_FAILED'],
      ['a filter on an unknown field', { $filter: "secret eq 'x'" }, 'INVALID_FILTER'],
      ['a filter with bad syntax', { $filter: "name eq 'unterminated" }, 'INVALID_FILTER'],
      ['an unknown status value', { $filter: "status eq 'zombie'" }, 'INVALID_FILTER'],
      ['ordering by an unknown field', { $orderby: 'password desc' }, 'INVALID_FILTER'],
    ])('answers 400 for %s', async (_label, params, code) => {
      const res = await list(q(params));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(code);
    });

    it('answers 4xx, never 500, for a NUL character in a filter string', async () => {
      const res = await list(q({ $filter: `name eq 'a\u0000b'` }));
      expect(res.status).toBe(400);
      expect(['VALIDATION_FAILED', 'INVALID_FILTER']).toContain(res.body.code);
    });

    it('answers 401 without a token', async () => {
      const res = await t.http.get('/api/accounts');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });
  });

  describe("GET /api/accounts/{id} (an id or a name)", () => {
    let fx: AccountWithMembers;
    let outsider: TestUser;

    beforeAll(async () => {
      fx = await createAccountWithMembers(t, uniqueAccountName('Acme Corporation'));
      outsider = (await createAccount(t)).owner;
    });

    it('answers a member by id with the full account', async () => {
      const res = await t.http.get(`/api/accounts/${fx.account.id}`, fx.viewer.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...ACCOUNT_SHAPE, id: fx.account.id, name: fx.account.name, slug: fx.account.slug });
    });

    it('answers a member by name, in any case, URL-encoded', async () => {
      for (const name of [fx.account.name, fx.account.name.toUpperCase(), fx.account.name.toLowerCase()]) {
        const res = await t.http.get(`/api/accounts/${encodeURIComponent(name)}`, fx.user.token);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ...ACCOUNT_SHAPE, id: fx.account.id, name: fx.account.name, slug: fx.account.slug });
      }
    });

    it('answers a platform administrator who is not a member', async () => {
      const res = await t.http.get(`/api/accounts/${fx.account.id}`, platformAdmin.token);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(fx.account.id);
    });

    it('answers 404 ACCOUNT_NOT_FOUND for an unknown id or name, and the same for an account the caller is not in', async () => {
      const [{ max }] = await t.db.query(`SELECT coalesce(max(id), 0)::int AS max FROM accounts`);
      const answers = await Promise.all([
        t.http.get(`/api/accounts/${max + 1000}`, fx.owner.token),
        t.http.get(`/api/accounts/${encodeURIComponent(uniqueAccountName('Nobody'))}`, fx.owner.token),
        t.http.get(`/api/accounts/${fx.account.id}`, outsider.token),
        t.http.get(`/api/accounts/${encodeURIComponent(fx.account.name)}`, outsider.token),
      ]);
      for (const res of answers) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ statusCode: 404, code: 'ACCOUNT_NOT_FOUND', message: 'Account not found' });
      }
    });

    it('answers 404 for a member whose membership is invited or disabled', async () => {
      const invited = await createAccountMember(t, fx.account.id, ['admin'], 'invited');
      const disabled = await createAccountMember(t, fx.account.id, ['admin'], 'disabled');
      for (const caller of [invited, disabled]) {
        const res = await t.http.get(`/api/accounts/${fx.account.id}`, caller.token);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('ACCOUNT_NOT_FOUND');
      }
    });

    it.each(['0', '-1', '99999999999', 'abc'])('reads %s as an id or name that does not exist: 404 ACCOUNT_NOT_FOUND', async (segment) => {
      const res = await t.http.get(`/api/accounts/${segment}`, fx.owner.token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('ACCOUNT_NOT_FOUND');
    });

    it('answers 4xx, never 500, for a name with a NUL character', async () => {
      const res = await t.http.get(`/api/accounts/a%00b`, fx.owner.token);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });

    it('answers 401 without a token', async () => {
      const res = await t.http.get(`/api/accounts/${fx.account.id}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('PUT /api/accounts/{id}', () => {
    it("updates the account with the seed's example body (manage role)", async () => {
      const fx = await createAccountWithMembers(t);
      const before = await accountRow(fx.account.id);
      const body = { name: uniqueAccountName('Updated Account Name'), description: 'Updated description', status: 'active' };
      const res = await t.http.put(`/api/accounts/${fx.account.id}`, body, fx.manage.token);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...ACCOUNT_SHAPE, id: fx.account.id, slug: fx.account.slug, name: body.name, description: body.description });
      const after = await accountRow(fx.account.id);
      expect(after).toMatchObject({ name: body.name, description: body.description, status: 'active' });
      expect(after.updated_at.getTime()).toBeGreaterThanOrEqual(before.updated_at.getTime());
      const [audit] = await t.db.query(`SELECT action, actor_user_id FROM audit_events WHERE account_id = $1 AND action = 'account.updated'`, [
        fx.account.id,
      ]);
      expect(audit).toEqual({ action: 'account.updated', actor_user_id: fx.manage.user.id });
    });

    it('merges settings, replaces metadata and clears a description with null', async () => {
      const { account, owner } = await createAccount(t, { fields: { description: 'old', metadata: { a: 1 } } });
      const res = await t.http.put(
        `/api/accounts/${account.id}`,
        { settings: { currency: 'EUR', language: 'pt-BR' }, metadata: { b: [1, 2] }, description: null },
        owner.token,
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ description: null, metadata: { b: [1, 2] }, settings: { currency: 'EUR', timezone: 'UTC', language: 'pt-BR' } });
      await expect(accountRow(account.id)).resolves.toMatchObject({
        description: null,
        metadata: { b: [1, 2] },
        settings: { currency: 'EUR', timezone: 'UTC', language: 'pt-BR' },
      });
    });

    it('answers 403 UNAUTHORIZED to the user and viewer roles and changes nothing', async () => {
      const fx = await createAccountWithMembers(t);
      for (const caller of [fx.user, fx.viewer]) {
        const res = await t.http.put(`/api/accounts/${fx.account.id}`, { description: 'hijacked' }, caller.token);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      await expect(accountRow(fx.account.id)).resolves.toMatchObject({ description: null });
    });

    it('answers 403 UNAUTHORIZED to a manager or admin changing the status, and changes nothing', async () => {
      const fx = await createAccountWithMembers(t);
      for (const caller of [fx.manage, fx.admin]) {
        const res = await t.http.put(`/api/accounts/${fx.account.id}`, { status: 'disabled', description: 'x' }, caller.token);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      await expect(accountRow(fx.account.id)).resolves.toMatchObject({ status: 'active', description: null });
    });

    it('lets the owner disable the account: members then get 403 ACCOUNT_DISABLED, a platform admin reads and re-enables it', async () => {
      const fx = await createAccountWithMembers(t);
      const res = await t.http.put(`/api/accounts/${fx.account.id}`, { status: 'disabled', disabledReason: 'Payment overdue' }, fx.owner.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'disabled', disabledReason: 'Payment overdue' });
      await expect(accountRow(fx.account.id)).resolves.toMatchObject({ status: 'disabled', disabled_reason: 'Payment overdue' });

      for (const caller of [fx.owner, fx.viewer]) {
        const get = await t.http.get(`/api/accounts/${fx.account.id}`, caller.token);
        expect(get.status).toBe(403);
        expect(get.body.code).toBe('ACCOUNT_DISABLED');
      }
      const listed = await t.http.get(`/api/accounts?$filter=${encodeURIComponent(`id eq ${fx.account.id}`)}`, fx.owner.token);
      expect(listed.body).toEqual({ value: [], count: 0 });

      expect((await t.http.get(`/api/accounts/${fx.account.id}`, platformAdmin.token)).status).toBe(200);
      const enabled = await t.http.put(`/api/accounts/${fx.account.id}`, { status: 'active' }, platformAdmin.token);
      expect(enabled.status).toBe(200);
      await expect(accountRow(fx.account.id)).resolves.toMatchObject({ status: 'active', disabled_reason: null });
      expect((await t.http.get(`/api/accounts/${fx.account.id}`, fx.viewer.token)).status).toBe(200);
    });

    it('lets the owners of a disabled account enable it again, and nothing else', async () => {
      const fx = await createAccountWithMembers(t);
      expect((await t.http.put(`/api/accounts/${fx.account.id}`, { status: 'disabled' }, fx.owner.token)).status).toBe(200);

      const other = await t.http.put(`/api/accounts/${fx.account.id}`, { status: 'active', description: 'sneaky' }, fx.owner.token);
      expect(other.status).toBe(403);
      expect(other.body.code).toBe('ACCOUNT_DISABLED');
      const admin = await t.http.put(`/api/accounts/${fx.account.id}`, { status: 'active' }, fx.admin.token);
      expect(admin.status).toBe(403);
      expect(admin.body.code).toBe('ACCOUNT_DISABLED');
      await expect(accountRow(fx.account.id)).resolves.toMatchObject({ status: 'disabled', description: null });

      const enabled = await t.http.put(`/api/accounts/${fx.account.id}`, { status: 'active' }, fx.owner.token);
      expect(enabled.status).toBe(200);
      expect(enabled.body.status).toBe('active');
      await expect(accountRow(fx.account.id)).resolves.toMatchObject({ status: 'active' });
    });

    it('answers 409 ACCOUNT_ALREADY_EXISTS when renaming to a taken name in another case, and keeps the old name', async () => {
      const { account, owner } = await createAccount(t);
      const { account: other } = await createAccount(t);
      const res = await t.http.put(`/api/accounts/${account.id}`, { name: other.name.toUpperCase() }, owner.token);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('ACCOUNT_ALREADY_EXISTS');
      await expect(accountRow(account.id)).resolves.toMatchObject({ name: account.name });
    });

    it('lets only a platform administrator change the plan', async () => {
      const { account, owner } = await createAccount(t);
      const refused = await t.http.put(`/api/accounts/${account.id}`, { plan: 'enterprise' }, owner.token);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('UNAUTHORIZED');
      await expect(accountRow(account.id)).resolves.toMatchObject({ plan: 'free' });

      const allowed = await t.http.put(`/api/accounts/${account.id}`, { plan: 'enterprise' }, platformAdmin.token);
      expect(allowed.status).toBe(200);
      await expect(accountRow(account.id)).resolves.toMatchObject({ plan: 'enterprise' });
    });

    it.each([
      ['a lower-case currency', { settings: { currency: 'eur' } }, 'settings.currency'],
      ['an unknown currency', { settings: { currency: 'ABC' } }, 'settings.currency'],
      ['an unknown time zone', { settings: { timezone: 'Europe/Atlantis' } }, 'settings.timezone'],
      ['a time zone with a path trick', { settings: { timezone: '../etc/passwd' } }, 'settings.timezone'],
      ['a malformed language tag', { settings: { language: 'en_US!' } }, 'settings.language'],
      ['settings set to null', { settings: null }, 'settings'],
      ['metadata over 16 KB', { metadata: { blob: 'x'.repeat(16 * 1024 + 1) } }, 'metadata'],
      ['metadata nested too deep', { metadata: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } }, 'metadata'],
      ['an unknown property', { slug: 'mine' }, 'slug'],
      ['a name of 256 characters', { name: 'n'.repeat(256) }, 'name'],
      ['a NUL character in the name', { name: 'a\u0000b' }, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['an unknown status', { status: 'archived' }, 'status'],
    ])('answers 400 VALIDATION_FAILED for %s and changes nothing', async (_label, body, field) => {
      const { account, owner } = await createAccount(t);
      const before = await accountRow(account.id);
      const res = await t.http.put(`/api/accounts/${account.id}`, body, owner.token);

      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual(expect.arrayContaining([{ field, problem: expect.any(String) }]));
      await expect(accountRow(account.id)).resolves.toEqual(before);
    });

    it('accepts metadata just under 16 KB', async () => {
      const { account, owner } = await createAccount(t);
      const metadata = { blob: 'x'.repeat(16 * 1024 - 20) };
      const res = await t.http.put(`/api/accounts/${account.id}`, { metadata }, owner.token);
      expect(res.status).toBe(200);
      await expect(accountRow(account.id)).resolves.toMatchObject({ metadata });
    });

    it('answers 404 ACCOUNT_NOT_FOUND to a non-member and changes nothing', async () => {
      const { account } = await createAccount(t);
      const outsider = await createMember(t);
      const res = await t.http.put(`/api/accounts/${account.id}`, { description: 'x' }, outsider.token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('ACCOUNT_NOT_FOUND');
      await expect(accountRow(account.id)).resolves.toMatchObject({ description: null });
    });
  });

  describe("DELETE /api/accounts/{id} (the seed's {accountId})", () => {
    it('lets the owner delete the account; memberships, invitations and its API tokens go with it, the users stay', async () => {
      const fx = await createAccountWithMembers(t);
      const invited = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
      const apiToken = await createApiToken(t, fx.manage.user.id, fx.account.id);
      expect((await t.http.get('/api/auth/me', apiToken.token)).status).toBe(200);
      const res = await t.http.delete(`/api/accounts/${fx.account.id}`, fx.owner.token);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'Account deleted' });
      await expect(accountRow(fx.account.id)).resolves.toBeUndefined();
      await expect(countWhere(`memberships WHERE account_id = $1`, [fx.account.id])).resolves.toBe(0);
      await expect(countWhere(`invitations WHERE account_id = $1`, [fx.account.id])).resolves.toBe(0);
      await expect(countWhere(`api_tokens WHERE id = $1`, [apiToken.id])).resolves.toBe(0);
      const withToken = await t.http.get('/api/auth/me', apiToken.token);
      expect(withToken.status).toBe(401);
      await expect(countWhere(`users WHERE id = ANY($1)`, [[fx.owner.user.id, fx.viewer.user.id, invited.user.id]])).resolves.toBe(3);
      const [audit] = await t.db.query(`SELECT action FROM audit_events WHERE account_id = $1 AND action = 'account.deleted'`, [fx.account.id]);
      expect(audit).toEqual({ action: 'account.deleted' });

      const again = await t.http.delete(`/api/accounts/${fx.account.id}`, fx.owner.token);
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('ACCOUNT_NOT_FOUND');
    });

    it('answers 403 UNAUTHORIZED to every rank below owner and keeps the account', async () => {
      const fx = await createAccountWithMembers(t);
      for (const caller of [fx.admin, fx.manage, fx.user, fx.viewer]) {
        const res = await t.http.delete(`/api/accounts/${fx.account.id}`, caller.token);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      await expect(accountRow(fx.account.id)).resolves.toMatchObject({ id: fx.account.id });
      await expect(countWhere(`memberships WHERE account_id = $1`, [fx.account.id])).resolves.toBe(5);
    });

    it('answers 404 ACCOUNT_NOT_FOUND to a non-member (even an owner elsewhere) and keeps the account', async () => {
      const { account } = await createAccount(t);
      const { owner: otherOwner } = await createAccount(t);
      const res = await t.http.delete(`/api/accounts/${account.id}`, otherOwner.token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('ACCOUNT_NOT_FOUND');
      await expect(accountRow(account.id)).resolves.toMatchObject({ id: account.id });
    });

    it('lets a platform administrator delete any account', async () => {
      const { account } = await createAccount(t);
      const res = await t.http.delete(`/api/accounts/${account.id}`, platformAdmin.token);
      expect(res.status).toBe(200);
      await expect(accountRow(account.id)).resolves.toBeUndefined();
    });
  });

  describe('malformed ids', () => {
    let fx: AccountWithMembers;
    beforeAll(async () => {
      fx = await createAccountWithMembers(t);
    });

    /** Routes that take an account id, with a body that would otherwise be valid. */
    const accountRoutes: [string, (id: string) => string, unknown?][] = [
      ['PUT', (id) => `/api/accounts/${id}`, { description: 'x' }],
      ['DELETE', (id) => `/api/accounts/${id}`],
      ['GET', (id) => `/api/accounts/${id}/users`],
      ['POST', (id) => `/api/accounts/${id}/users`, { email: 'someone@example.test', roles: ['viewer'] }],
      ['POST', (id) => `/api/accounts/${id}/users/1`, { roles: ['viewer'] }],
      ['PUT', (id) => `/api/accounts/${id}/users/1`, { roles: ['viewer'] }],
      ['PUT', (id) => `/api/accounts/${id}/users/1/invite`],
      ['DELETE', (id) => `/api/accounts/${id}/users/1`],
      ['POST', (id) => `/api/accounts/${id}/transfer-ownership`, { userId: 1 }],
      ['GET', (id) => `/api/accounts/${id}/invitations`],
      ['DELETE', (id) => `/api/accounts/${id}/invitations/1`],
      ['GET', (id) => `/api/accounts/${id}/tokens`],
      ['DELETE', (id) => `/api/accounts/${id}/tokens/00000000-0000-4000-8000-000000000000`],
      ['GET', (id) => `/api/accounts/${id}/audit-events`],
    ];

    it.each(accountRoutes.flatMap(([method, path, body]) => MALFORMED_IDS.map((id) => [`${method} ${path(id)}`, method, path(id), body] as const)))(
      '%s answers 400 VALIDATION_FAILED',
      async (_label, method, path, body) => {
        const res = await t.http.request(method, path, body, { token: fx.owner.token });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        await expect(accountRow(fx.account.id)).resolves.toMatchObject({ status: 'active' });
      },
    );

    /** Routes that take a second id (user or invitation) after a valid account id. */
    const innerRoutes: [string, (id: string) => string, unknown?][] = [
      ['POST', (id) => `/users/${id}`, { roles: ['viewer'] }],
      ['PUT', (id) => `/users/${id}`, { roles: ['viewer'] }],
      ['PUT', (id) => `/users/${id}/invite`],
      ['DELETE', (id) => `/users/${id}`],
      ['DELETE', (id) => `/invitations/${id}`],
    ];

    it.each(innerRoutes.flatMap(([method, path, body]) => MALFORMED_IDS.map((id) => [`${method} /api/accounts/{id}${path(id)}`, method, path(id), body] as const)))(
      '%s answers 400 VALIDATION_FAILED and leaves the members alone',
      async (_label, method, path, body) => {
        const res = await t.http.request(method, `/api/accounts/${fx.account.id}${path}`, body, { token: fx.owner.token });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        await expect(countWhere(`memberships WHERE account_id = $1`, [fx.account.id])).resolves.toBe(5);
      },
    );

    it.each(['0', '-1', '99999999999', '"abc"', '1.5', 'null', '"7"'])('a transfer-ownership userId of %s answers 400 VALIDATION_FAILED', async (raw) => {
      const res = await t.http.request('POST', `/api/accounts/${fx.account.id}/transfer-ownership`, undefined, {
        token: fx.owner.token,
        raw: `{"userId": ${raw}}`,
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
    });
  });

  describe('member bodies', () => {
    let fx: AccountWithMembers;
    beforeAll(async () => {
      fx = await createAccountWithMembers(t);
    });

    it.each([
      ['more than 5 roles', { roles: ['viewer', 'user', 'manage', 'admin', 'owner', 'viewer'] }, 'roles'],
      ['a repeated role', { roles: ['viewer', 'viewer'] }, 'roles'],
      ['an unknown role', { roles: ['superuser'] }, 'roles'],
      ['a role in another case', { roles: ['Admin'] }, 'roles'],
      ['no roles', { roles: [] }, 'roles'],
      ['roles that are not an array', { roles: 'admin' }, 'roles'],
      ['an unknown property', { roles: ['viewer'], isAdmin: true }, 'isAdmin'],
      ['a first name of 101 characters', { roles: ['viewer'], firstName: 'f'.repeat(101) }, 'firstName'],
      ['a NUL character in the last name', { roles: ['viewer'], lastName: 'a\u0000b' }, 'lastName'],
      ['an email with a NUL character', { roles: ['viewer'], email: 'a\u0000b@example.test' }, 'email'],
      ['an email of 255 characters', { roles: ['viewer'], email: `${'e'.repeat(64)}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(57)}.test` }, 'email'],
    ])('POST /api/accounts/{id}/users with %s answers 400 VALIDATION_FAILED and adds nobody', async (_label, change, field) => {
      const email = uniqueEmail('body');
      const res = await t.http.post(`/api/accounts/${fx.account.id}/users`, { email, ...change }, fx.owner.token);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual(expect.arrayContaining([{ field, problem: expect.any(String) }]));
      await expect(usersWithEmail(email)).resolves.toBe(0);
      await expect(countWhere(`memberships WHERE account_id = $1`, [fx.account.id])).resolves.toBe(5);
    });

    it.each([
      ['more than 5 roles', { roles: ['viewer', 'user', 'manage', 'admin', 'owner', 'user'] }],
      ['an unknown role', { roles: ['root'] }],
      ['an unknown status', { roles: ['viewer'], status: 'invited' }],
      ['an unknown property', { roles: ['viewer'], accountId: 1 }],
    ])('PUT /api/accounts/{id}/users/{userId} with %s answers 400 VALIDATION_FAILED and changes nothing', async (_label, body) => {
      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.viewer.user.id}`, body, fx.owner.token);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      await expect(membershipOf(t, fx.account.id, fx.viewer.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'active' });
    });

    it.each([
      ['more than 5 roles', { roles: ['viewer', 'user', 'manage', 'admin', 'owner', 'admin'] }],
      ['an unknown role', { roles: ['guest'] }],
    ])('POST /api/accounts/{id}/users/{userId} with %s answers 400 VALIDATION_FAILED and adds nobody', async (_label, body) => {
      const outsider = await createMember(t);
      const res = await t.http.post(`/api/accounts/${fx.account.id}/users/${outsider.user.id}`, body, fx.owner.token);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      await expect(membershipOf(t, fx.account.id, outsider.user.id)).resolves.toBeUndefined();
    });

    it('answers 400 for a body that is not a JSON object, 415 for one that is not JSON', async () => {
      const array = await t.http.request('POST', `/api/accounts/${fx.account.id}/users`, undefined, { token: fx.owner.token, raw: '[]' });
      expect(array.status).toBe(400);
      expect(array.body.code).toBe('VALIDATION_FAILED');
      const text = await t.http.request('POST', `/api/accounts/${fx.account.id}/users`, undefined, {
        token: fx.owner.token,
        raw: 'email=a@b.c',
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(text.status).toBe(415);
      await expect(countWhere(`memberships WHERE account_id = $1`, [fx.account.id])).resolves.toBe(5);
    });
  });
});
