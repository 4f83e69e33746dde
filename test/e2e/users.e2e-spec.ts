import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLoggedInUser, createUser, DEFAULT_PASSWORD, uniqueEmail } from '../factories/user.factory.js';
import { startSmtpServer, type TestSmtpServer } from '../setup/smtp.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';

/** Users API, password reset and email verification (mails through a real SMTP conversation). */
describe('users', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let admin: Awaited<ReturnType<typeof createLoggedInUser>>;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50', APP_URL: 'https://accounts.example.test' });
    admin = await createLoggedInUser(t, { isAdmin: true });
  });

  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const tokenFrom = (text: string, path: string) => {
    const match = new RegExp(`https://accounts\\.example\\.test${path}\\?token=([A-Za-z0-9_%-]+)`).exec(text);
    if (!match) throw new Error(`no ${path} link in: ${text}`);
    return decodeURIComponent(match[1]);
  };

  describe('/api/users/me', () => {
    it('reads and renames the caller, and refuses fields it may not set', async () => {
      const { user, token } = await createLoggedInUser(t);
      expect((await t.http.get('/api/users/me', token)).body).toMatchObject({ id: user.id, email: user.email });
      const renamed = await t.http.patch('/api/users/me', { firstName: 'Grace', lastName: 'Hopper' }, token);
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ firstName: 'Grace', lastName: 'Hopper' });
      for (const body of [{ isAdmin: true }, { status: 'active' }, { id: 1 }, { email: 'x@y.z' }]) {
        const res = await t.http.patch('/api/users/me', body, token);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      const [row] = await t.db.query(`SELECT first_name, is_admin FROM users WHERE id = $1`, [user.id]);
      expect(row).toEqual({ first_name: 'Grace', is_admin: false });
    });

    it('changes the password with the current one and ends the other sessions', async () => {
      const { user, token } = await createLoggedInUser(t);
      const other = await t.http.post('/api/auth/login', { email: user.email, password: DEFAULT_PASSWORD });

      const wrong = await t.http.post('/api/users/me/password', { currentPassword: 'not-it-at-all', newPassword: 'a-new-password-1' }, token);
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');

      const common = await t.http.post('/api/users/me/password', { currentPassword: DEFAULT_PASSWORD, newPassword: 'iloveyou1' }, token);
      expect(common.status).toBe(400);
      expect(common.body.details).toEqual([{ field: 'password', problem: 'is too common' }]);

      const res = await t.http.post('/api/users/me/password', { currentPassword: DEFAULT_PASSWORD, newPassword: 'a-new-password-1' }, token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'Password changed' });
      expect((await t.http.get('/api/auth/me', token)).status).toBe(200);
      expect((await t.http.get('/api/auth/me', other.body.accessToken)).status).toBe(401);
      expect((await t.http.post('/api/auth/login', { email: user.email, password: DEFAULT_PASSWORD })).status).toBe(401);
      expect((await t.http.post('/api/auth/login', { email: user.email, password: 'a-new-password-1' })).status).toBe(200);
    });
  });

  describe('platform administration', () => {
    it('answers 403 UNAUTHORIZED to a non-admin on every admin route', async () => {
      const { user, token } = await createLoggedInUser(t);
      const calls = [
        t.http.get('/api/users', token),
        t.http.get(`/api/users/${user.id}`, token),
        t.http.patch(`/api/users/${user.id}`, { isAdmin: true }, token),
        t.http.delete(`/api/users/${user.id}`, token),
        t.http.get('/api/audit-events', token),
      ];
      for (const res of await Promise.all(calls)) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      const [row] = await t.db.query(`SELECT is_admin FROM users WHERE id = $1`, [user.id]);
      expect(row.is_admin).toBe(false);
    });

    it('lists users with OData, never exposing password hashes', async () => {
      const { user } = await createUser(t, { lastName: 'Zyxwvut' });
      const res = await t.http.get(`/api/users?$filter=lastName eq 'Zyxwvut' and id eq ${user.id}`, admin.token);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(1);
      expect(res.body.value[0]).toMatchObject({ id: user.id, email: user.email });
      expect(JSON.stringify(res.body)).not.toContain('argon2');
      const bad = await t.http.get(`/api/users?$filter=passwordHash ne null`, admin.token);
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('INVALID_FILTER');
    });

    it('disables a user: their sessions end at once', async () => {
      const { user, token } = await createLoggedInUser(t);
      const res = await t.http.patch(`/api/users/${user.id}`, { status: 'disabled' }, admin.token);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('disabled');
      expect((await t.http.get('/api/auth/me', token)).status).toBe(401);
      const [{ live }] = await t.db.query(`SELECT count(*)::int AS live FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
      expect(live).toBe(0);
    });

    it('refuses to disable or delete the last active owner of an account (409 LAST_OWNER)', async () => {
      const email = uniqueEmail();
      const signup = await t.http.post('/api/accounts/signup', {
        email,
        password: DEFAULT_PASSWORD,
        firstName: 'O',
        lastName: 'W',
        accountName: `Owner Co ${email}`,
      });
      expect(signup.status).toBe(201);
      for (const res of [
        await t.http.patch(`/api/users/${signup.body.id}`, { status: 'disabled' }, admin.token),
        await t.http.delete(`/api/users/${signup.body.id}`, admin.token),
      ]) {
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('LAST_OWNER');
      }
      const [row] = await t.db.query(`SELECT status FROM users WHERE id = $1`, [signup.body.id]);
      expect(row.status).toBe('active');
    });

    it('deletes a user, and answers 404 USER_NOT_FOUND after', async () => {
      const { user } = await createUser(t);
      expect((await t.http.delete(`/api/users/${user.id}`, admin.token)).body).toEqual({ success: true, message: 'User deleted' });
      const again = await t.http.get(`/api/users/${user.id}`, admin.token);
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('USER_NOT_FOUND');
      expect(await t.db.query(`SELECT id FROM users WHERE id = $1`, [user.id])).toEqual([]);
    });

    it('reads the audit trail of what it did', async () => {
      const { user } = await createUser(t);
      await t.http.patch(`/api/users/${user.id}`, { firstName: 'Audited' }, admin.token);
      const res = await t.http.get(`/api/audit-events?$filter=targetId eq '${user.id}' and action eq 'user.updated'`, admin.token);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(1);
      expect(res.body.value[0]).toMatchObject({ action: 'user.updated', actorUserId: admin.user.id, targetType: 'user', ip: '127.0.0.1' });
    });
  });

  describe('password reset', () => {
    it('mails a single-use link; the new password works and every session ends', async () => {
      const { user, token } = await createLoggedInUser(t);
      const res = await t.http.post('/api/auth/password/forgot', { email: user.email.toUpperCase() });
      expect(res.status).toBe(202);
      const mail = await smtp.waitFor((m) => m.to.includes(user.email) && m.subject === 'Reset your password');
      const resetToken = tokenFrom(mail.text, '/password/reset');
      const [{ token_hash }] = await t.db.query(`SELECT token_hash FROM user_tokens WHERE user_id = $1 AND purpose = 'password_reset'`, [user.id]);
      expect(token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(token_hash).not.toContain(resetToken);
      // Once sent, the outbox keeps who and what, not the link.
      let outbox: { status: string; payload: unknown }[] = [];
      for (let i = 0; i < 100 && outbox[0]?.status !== 'sent'; i++) {
        outbox = await t.db.query(`SELECT status, payload FROM outbox WHERE payload->>'to' = $1 AND payload->>'subject' = 'Reset your password'`, [user.email]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(outbox).toEqual([{ status: 'sent', payload: { to: user.email, subject: 'Reset your password' } }]);

      const common = await t.http.post('/api/auth/password/reset', { token: resetToken, password: 'passw0rd' });
      expect(common.status).toBe(400);
      expect(common.body.code).toBe('VALIDATION_FAILED');

      const reset = await t.http.post('/api/auth/password/reset', { token: resetToken, password: 'brand-new-password' });
      expect(reset.status).toBe(200);
      expect((await t.http.get('/api/auth/me', token)).status).toBe(401);
      expect((await t.http.post('/api/auth/login', { email: user.email, password: 'brand-new-password' })).status).toBe(200);

      const again = await t.http.post('/api/auth/password/reset', { token: resetToken, password: 'another-password-2' });
      expect(again.status).toBe(400);
      expect(again.body.code).toBe('TOKEN_INVALID');
    });

    it('answers the same for an unknown email and sends nothing', async () => {
      const before = smtp.messages.length;
      const unknown = await t.http.post('/api/auth/password/forgot', { email: uniqueEmail('nobody') });
      const { user } = await createUser(t);
      const known = await t.http.post('/api/auth/password/forgot', { email: user.email });
      expect(unknown.status).toBe(known.status);
      expect(unknown.body).toEqual(known.body);
      await smtp.waitFor((m) => m.to.includes(user.email));
      expect(smtp.messages.length).toBe(before + 1);
    });

    it('refuses a link older than an hour (test clock)', async () => {
      const { user } = await createUser(t);
      await t.http.post('/api/auth/password/forgot', { email: user.email });
      const mail = await smtp.waitFor((m) => m.to.includes(user.email));
      t.clock.advance(3601 * 1000);
      const res = await t.http.post('/api/auth/password/reset', { token: tokenFrom(mail.text, '/password/reset'), password: 'brand-new-password' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('TOKEN_INVALID');
    });
  });

  describe('email verification', () => {
    it('signup mails a link that sets emailVerifiedAt, once', async () => {
      const email = uniqueEmail('verify');
      const signup = await t.http.post('/api/accounts/signup', {
        email,
        password: DEFAULT_PASSWORD,
        firstName: 'V',
        lastName: 'E',
        accountName: `Verify ${email}`,
      });
      expect(signup.status).toBe(201);
      const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Confirm your email address');
      const token = tokenFrom(mail.text, '/email/verify');
      expect((await t.http.post('/api/auth/email/verify', { token })).body).toEqual({ success: true, message: 'Email verified' });
      const [row] = await t.db.query(`SELECT email_verified_at FROM users WHERE id = $1`, [signup.body.id]);
      expect(row.email_verified_at).toBeInstanceOf(Date);
      const again = await t.http.post('/api/auth/email/verify', { token });
      expect(again.status).toBe(400);
      expect(again.body.code).toBe('TOKEN_INVALID');
    });

    it('does not take a reset token in place of a verification token', async () => {
      const { user } = await createUser(t);
      await t.http.post('/api/auth/password/forgot', { email: user.email });
      const mail = await smtp.waitFor((m) => m.to.includes(user.email));
      const res = await t.http.post('/api/auth/email/verify', { token: tokenFrom(mail.text, '/password/reset') });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('TOKEN_INVALID');
    });
  });
});
