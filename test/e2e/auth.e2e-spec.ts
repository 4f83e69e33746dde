import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLoggedInUser, createUser, DEFAULT_PASSWORD, uniqueEmail } from '../factories/user.factory.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';

describe('auth', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  const sessionsOf = (userId: number) =>
    t.db.query(`SELECT id, family_id, revoked_at, revoked_reason FROM sessions WHERE user_id = $1 ORDER BY created_at, last_used_at`, [
      userId,
    ]);

  describe('POST /api/auth/register', () => {
    it('creates an active user with an argon2id hash and answers with a login', async () => {
      const email = uniqueEmail('Register');
      const res = await t.http.post('/api/auth/register', { email, password: DEFAULT_PASSWORD, firstName: 'Ada', lastName: 'Lovelace' });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(/^acs_rt_/),
        tokenType: 'Bearer',
        expiresIn: 900,
        user: {
          id: expect.any(Number),
          email,
          firstName: 'Ada',
          lastName: 'Lovelace',
          isAdmin: false,
          status: 'active',
          emailVerifiedAt: null,
          lastLoginAt: expect.any(String),
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      });
      const [row] = await t.db.query(`SELECT email, status, is_admin, password_hash FROM users WHERE id = $1`, [res.body.user.id]);
      expect(row).toMatchObject({ email, status: 'active', is_admin: false });
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      const [audit] = await t.db.query(`SELECT action, actor_user_id FROM audit_events WHERE target_id = $1`, [String(res.body.user.id)]);
      expect(audit).toEqual({ action: 'user.registered', actor_user_id: res.body.user.id });
    });

    it('refuses an email already taken in another case with 409 EMAIL_ALREADY_EXISTS', async () => {
      const { user } = await createUser(t);
      const res = await t.http.post('/api/auth/register', {
        email: user.email.toUpperCase(),
        password: DEFAULT_PASSWORD,
        firstName: 'A',
        lastName: 'B',
      });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, code: 'EMAIL_ALREADY_EXISTS', message: expect.any(String) });
      const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM users WHERE lower(email) = lower($1)`, [user.email]);
      expect(count).toBe(1);
    });

    it.each([
      ['an unknown property', { isAdmin: true }, 'isAdmin'],
      ['a malformed email', { email: 'not-an-email' }, 'email'],
      ['a 7-character password', { password: '1234567' }, 'password'],
      ['a 129-character password', { password: 'p'.repeat(129) }, 'password'],
      ['a missing first name', { firstName: undefined }, 'firstName'],
      ['a NUL character in a name', { lastName: 'a\u0000b' }, 'lastName'],
      ['one of the most common passwords', { password: 'password123' }, 'password'],
      ['a common password in another case', { password: 'QwertyUIOP' }, 'password'],
    ])('answers 400 VALIDATION_FAILED for %s and creates nothing', async (_label, change, field) => {
      const email = uniqueEmail();
      const res = await t.http.post('/api/auth/register', {
        email,
        password: DEFAULT_PASSWORD,
        firstName: 'A',
        lastName: 'B',
        ...change,
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual(expect.arrayContaining([{ field, problem: expect.any(String) }]));
      const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM users WHERE email = $1`, [email]);
      expect(count).toBe(0);
    });

    it('takes a password exactly as sent: surrounding spaces are part of it', async () => {
      const email = uniqueEmail();
      const password = '  spaced password  ';
      expect((await t.http.post('/api/auth/register', { email, password, firstName: 'A', lastName: 'B' })).status).toBe(201);
      expect((await t.http.post('/api/auth/login', { email, password: password.trim() })).status).toBe(401);
      expect((await t.http.post('/api/auth/login', { email, password })).status).toBe(200);
    });
  });

  describe('POST /api/auth/login', () => {
    it('logs in with the right password, in any case of the email, and records the time', async () => {
      const { user, password } = await createUser(t);
      const res = await t.http.post('/api/auth/login', { email: user.email.toUpperCase(), password });
      expect(res.status).toBe(200);
      expect(res.body.tokenType).toBe('Bearer');
      expect(res.body.user.id).toBe(user.id);
      expect(res.body.user.lastLoginAt).toEqual(expect.any(String));
      const sessions = await sessionsOf(user.id);
      expect(sessions).toHaveLength(1);
      expect(sessions[0].revoked_at).toBeNull();
    });

    it('answers an unknown email, a wrong password, an invited user and a disabled user alike', async () => {
      const { user } = await createUser(t);
      const { user: invited } = await createUser(t, { status: 'invited', password: null });
      const { user: disabled, password } = await createUser(t, { status: 'disabled' });
      const answers = await Promise.all([
        t.http.post('/api/auth/login', { email: uniqueEmail('nobody'), password: DEFAULT_PASSWORD }),
        t.http.post('/api/auth/login', { email: user.email, password: 'wrong-password' }),
        t.http.post('/api/auth/login', { email: invited.email, password: DEFAULT_PASSWORD }),
        t.http.post('/api/auth/login', { email: disabled.email, password }),
      ]);
      for (const res of answers) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ statusCode: 401, code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
      }
      for (const id of [user.id, invited.id, disabled.id]) expect(await sessionsOf(id)).toHaveLength(0);
    });
  });

  describe('GET /api/auth/me', () => {
    it('returns the caller with their memberships', async () => {
      const { user, token } = await createLoggedInUser(t);
      const res = await t.http.get('/api/auth/me', token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.id, email: user.email, isAdmin: false, status: 'active', memberships: [] });
      expect(res.body).not.toHaveProperty('passwordHash');
    });

    it.each([
      ['no header', undefined],
      ['a malformed token', 'Bearer not-a-jwt'],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['a refresh token', 'REFRESH'],
    ])('answers 401 UNAUTHENTICATED with %s', async (_label, header) => {
      const { refreshToken } = await createLoggedInUser(t);
      const headers: Record<string, string> = {};
      if (header) headers.authorization = header === 'REFRESH' ? `Bearer ${refreshToken}` : header;
      const res = await t.http.request('GET', '/api/auth/me', undefined, { headers });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('stops accepting the token of a user disabled after login, on the next request', async () => {
      const { user, token } = await createLoggedInUser(t);
      expect((await t.http.get('/api/auth/me', token)).status).toBe(200);
      await t.db.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [user.id]);
      const res = await t.http.get('/api/auth/me', token);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('refuses an access token once it is 15 minutes old (moving the test clock)', async () => {
      const { token } = await createLoggedInUser(t);
      t.clock.advance(14 * 60 * 1000);
      expect((await t.http.get('/api/auth/me', token)).status).toBe(200);
      t.clock.advance(61 * 1000);
      const res = await t.http.get('/api/auth/me', token);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('POST /api/auth/refresh', () => {
    it('rotates: a new pair, the old refresh token revoked, the same family', async () => {
      const { user, refreshToken } = await createLoggedInUser(t);
      const res = await t.http.post('/api/auth/refresh', { refreshToken });
      expect(res.status).toBe(200);
      expect(res.body.refreshToken).toMatch(/^acs_rt_/);
      expect(res.body.refreshToken).not.toBe(refreshToken);
      expect((await t.http.get('/api/auth/me', res.body.accessToken)).status).toBe(200);

      const sessions = await sessionsOf(user.id);
      expect(sessions).toHaveLength(2);
      expect(sessions[0]).toMatchObject({ revoked_reason: 'rotated' });
      expect(sessions[1]).toMatchObject({ revoked_at: null, family_id: sessions[0].family_id });
    });

    it('treats a replayed refresh token as theft: 401 and the whole family revoked', async () => {
      const { user, refreshToken } = await createLoggedInUser(t);
      const first = await t.http.post('/api/auth/refresh', { refreshToken });
      expect(first.status).toBe(200);

      const replay = await t.http.post('/api/auth/refresh', { refreshToken });
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('UNAUTHENTICATED');

      const live = (await sessionsOf(user.id)).filter((s: { revoked_at: Date | null }) => s.revoked_at === null);
      expect(live).toHaveLength(0);
      expect((await t.http.get('/api/auth/me', first.body.accessToken)).status).toBe(401);
      expect((await t.http.post('/api/auth/refresh', { refreshToken: first.body.refreshToken })).status).toBe(401);
    });

    it('lets only one of two concurrent refreshes with one token succeed', async () => {
      const { user, refreshToken } = await createLoggedInUser(t);
      const answers = await Promise.all([
        t.http.post('/api/auth/refresh', { refreshToken }),
        t.http.post('/api/auth/refresh', { refreshToken }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
      const rows = await sessionsOf(user.id);
      expect(rows.filter((s: { revoked_reason: string }) => s.revoked_reason === 'rotated')).toHaveLength(1);
    });

    it('refuses an access token or garbage in place of a refresh token', async () => {
      const { token } = await createLoggedInUser(t);
      for (const refreshToken of [token, 'acs_rt_unknown', '']) {
        const res = await t.http.post('/api/auth/refresh', { refreshToken });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('UNAUTHENTICATED');
      }
    });

    it('refuses a refresh token after its 30 days', async () => {
      const { refreshToken } = await createLoggedInUser(t);
      t.clock.advance(30 * 24 * 3600 * 1000 + 1000);
      const res = await t.http.post('/api/auth/refresh', { refreshToken });
      expect(res.status).toBe(401);
    });
  });

  describe('POST /api/auth/logout', () => {
    it('ends the session: the access token fails on the very next request, the refresh token too', async () => {
      const { user, token, refreshToken } = await createLoggedInUser(t);
      const res = await t.http.post('/api/auth/logout', undefined, token);
      expect(res.status).toBe(204);
      expect(await sessionsOf(user.id)).toEqual([expect.objectContaining({ revoked_reason: 'logout' })]);
      expect((await t.http.get('/api/auth/me', token)).status).toBe(401);
      expect((await t.http.post('/api/auth/refresh', { refreshToken })).status).toBe(401);
    });

    it('leaves the user\'s other sessions alone', async () => {
      const { user, password, token } = await createLoggedInUser(t);
      const other = await t.http.post('/api/auth/login', { email: user.email, password });
      await t.http.post('/api/auth/logout', undefined, token);
      expect((await t.http.get('/api/auth/me', other.body.accessToken)).status).toBe(200);
    });
  });

  describe('sessions', () => {
    it('lists the live sessions, marks the current one, and revokes another', async () => {
      const { user, password, token } = await createLoggedInUser(t);
      const other = await t.http.post('/api/auth/login', { email: user.email, password });

      const list = await t.http.get('/api/auth/sessions', token);
      expect(list.status).toBe(200);
      expect(list.body.count).toBe(2);
      expect(list.body.value.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
      const otherSession = list.body.value.find((s: { current: boolean }) => !s.current);
      expect(otherSession).toEqual({
        id: expect.any(String),
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        expiresAt: expect.any(String),
        userAgent: expect.any(String),
        ip: '127.0.0.1',
        current: false,
      });

      const revoked = await t.http.delete(`/api/auth/sessions/${otherSession.id}`, token);
      expect(revoked.status).toBe(204);
      expect((await t.http.get('/api/auth/me', other.body.accessToken)).status).toBe(401);
      expect((await t.http.get('/api/auth/sessions', token)).body.count).toBe(1);
    });

    it('filters and pages the list with OData, counting every match', async () => {
      const { user, password, token } = await createLoggedInUser(t);
      for (const agent of ['cli/1.0', 'cli/2.0']) {
        const login = await t.http.request('POST', '/api/auth/login', { email: user.email, password }, { headers: { 'user-agent': agent } });
        expect(login.status).toBe(200);
      }
      const q = (query: Record<string, string>) => `/api/auth/sessions?${new URLSearchParams(query)}`;
      const cli = await t.http.get(q({ $filter: "startswith(userAgent, 'cli/')", $orderby: 'userAgent', $top: '1' }), token);
      expect(cli.status).toBe(200);
      expect({ count: cli.body.count, agents: cli.body.value.map((s: { userAgent: string }) => s.userAgent) }).toEqual({ count: 2, agents: ['cli/1.0'] });
      expect((await t.http.get('/api/auth/sessions', token)).body.count).toBe(3);
      const bad = await t.http.get(q({ $filter: 'refreshTokenHash eq null' }), token);
      expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_FILTER']);
    });

    it("answers 404 SESSION_NOT_FOUND for another user's session and leaves it alive", async () => {
      const mine = await createLoggedInUser(t);
      const theirs = await createLoggedInUser(t);
      const [theirSession] = await sessionsOf(theirs.user.id);
      const res = await t.http.delete(`/api/auth/sessions/${theirSession.id}`, mine.token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('SESSION_NOT_FOUND');
      expect((await t.http.get('/api/auth/me', theirs.token)).status).toBe(200);
    });

    it('answers 400 for a session id that is not a UUID', async () => {
      const { token } = await createLoggedInUser(t);
      const res = await t.http.delete('/api/auth/sessions/42', token);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });
});
