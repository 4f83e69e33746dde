import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  type AccountWithMembers,
  createAccountWithMembers,
  createInvitation,
  createMember,
  membershipOf,
  tokenFor,
} from '../factories/account.factory.js';
import { uniqueEmail } from '../factories/user.factory.js';
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from '../setup/smtp.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';

const APP_URL = 'https://accounts.example.test';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DAY = 24 * 3600 * 1000;
const PASSWORD = 'invited-user-password-42';

const LINK = /https:\/\/accounts\.example\.test\/invitations\/accept\?token=(\S+)/;

/** The token of the invitation link in a mail, or undefined. */
function tokenIn(mail: ReceivedMail): string | undefined {
  const match = LINK.exec(mail.text);
  return match ? decodeURIComponent(match[1]) : undefined;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

describe('invitations', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50', APP_URL, MAIL_FROM: 'Accounts <no-reply@example.test>' });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /** The next invitation mail to `email` whose token is not among `seen`, and its token. */
  async function invitationMail(email: string, seen: string[] = []): Promise<{ mail: ReceivedMail; token: string }> {
    const mail = await smtp.waitFor((m) => m.to.some((to) => to.toLowerCase() === email.toLowerCase()) && !!tokenIn(m) && !seen.includes(tokenIn(m)!));
    return { mail, token: tokenIn(mail)! };
  }

  /** Invites a new email over HTTP and returns the invited user's id and the mailed token. */
  async function invite(fx: AccountWithMembers, roles: string[] = ['user', 'viewer'], token = fx.manage.token) {
    const email = uniqueEmail('invitee');
    const res = await t.http.post(`/api/accounts/${fx.account.id}/users`, { email, firstName: 'Jane', lastName: 'Smith', roles }, token);
    expect(res.status).toBe(201);
    const { mail, token: inviteToken } = await invitationMail(email);
    return { email, userId: res.body.id as number, mail, token: inviteToken };
  }

  const accept = (token: string, extra: Record<string, string> = {}) =>
    t.http.post('/api/invitations/accept', { token, password: PASSWORD, ...extra });

  const countWhere = async (sql: string, params: unknown[]): Promise<number> => {
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM ${sql}`, params);
    return count;
  };

  const invitationRows = (accountId: number, userId: number) =>
    t.db.query(`SELECT * FROM invitations WHERE account_id = $1 AND user_id = $2 ORDER BY id`, [accountId, userId]);

  const expectInvalid = (res: { status: number; body: any }) => {
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, code: 'INVITATION_INVALID', message: expect.any(String) });
  };

  /** Lists the account's invitations as its owner (with a token minted now: the clock may have moved). */
  async function listInvitations(fx: AccountWithMembers, query = '') {
    return t.http.get(`/api/accounts/${fx.account.id}/invitations${query}`, await tokenFor(t, fx.owner.user));
  }

  describe('lifecycle over SMTP', () => {
    it('mails a link; accepting it sets the password, activates user and membership and logs in; a second accept fails', async () => {
      const fx = await createAccountWithMembers(t);
      const { email, userId, mail, token } = await invite(fx);

      expect(mail.from).toBe('no-reply@example.test');
      expect(mail.subject).toBe(`You are invited to join ${fx.account.name}`);
      expect(mail.text).toContain(`${APP_URL}/invitations/accept?token=`);
      expect(token).toMatch(/^acs_inv_[A-Za-z0-9_-]{43}$/);
      // Only the hash of the token is stored.
      const [pending] = await invitationRows(fx.account.id, userId);
      expect(pending).toMatchObject({ status: 'pending', token_hash: sha256(token) });

      const res = await accept(token, { firstName: 'Janet' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(/^acs_rt_/),
        tokenType: 'Bearer',
        expiresIn: 900,
        user: {
          id: userId,
          email,
          firstName: 'Janet',
          lastName: 'Smith',
          isAdmin: false,
          status: 'active',
          emailVerifiedAt: expect.stringMatching(ISO),
          lastLoginAt: expect.stringMatching(ISO),
          createdAt: expect.stringMatching(ISO),
          updatedAt: expect.stringMatching(ISO),
        },
      });
      const [user] = await t.db.query(`SELECT status, first_name, last_name, password_hash FROM users WHERE id = $1`, [userId]);
      expect(user).toMatchObject({ status: 'active', first_name: 'Janet', last_name: 'Smith' });
      expect(user.password_hash).toMatch(/^\$argon2id\$/);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'active' });
      const [accepted] = await invitationRows(fx.account.id, userId);
      expect(accepted).toMatchObject({ status: 'accepted', accepted_at: expect.any(Date), revoked_at: null });

      // The login answer works, and so does a login with the new password.
      expect((await t.http.get(`/api/accounts/${fx.account.id}`, res.body.accessToken)).status).toBe(200);
      const login = await t.http.post('/api/auth/login', { email, password: PASSWORD });
      expect(login.status).toBe(200);
      const me = await t.http.get('/api/auth/me', login.body.accessToken);
      expect(me.body.memberships).toEqual([{ accountId: fx.account.id, accountName: fx.account.name, roles: ['user', 'viewer'], status: 'active' }]);

      // Single use.
      expectInvalid(await accept(token));
      expectInvalid(await accept(token, { password: 'another-password-99' }));
      const [after] = await invitationRows(fx.account.id, userId);
      expect(after).toMatchObject({ status: 'accepted', accepted_at: accepted.accepted_at });
      expect((await t.http.post('/api/auth/login', { email, password: 'another-password-99' })).status).toBe(401);
    });

    it('answers 400 INVITATION_INVALID for an unknown token or another kind of token, and changes nothing', async () => {
      const fx = await createAccountWithMembers(t);
      const { userId } = await invite(fx);
      const login = await t.http.post('/api/auth/login', { email: fx.viewer.user.email, password: fx.viewer.password });
      for (const token of ['acs_inv_unknown', `acs_inv_${'A'.repeat(43)}`, login.body.refreshToken]) expectInvalid(await accept(token));
      // An access JWT is longer than any invitation token: refused before any lookup.
      const jwt = await accept(fx.viewer.token);
      expect(jwt.status).toBe(400);
      expect(['INVITATION_INVALID', 'VALIDATION_FAILED']).toContain(jwt.body.code);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'invited' });
    });

    it('answers 400 VALIDATION_FAILED for a short password and keeps the invitation usable', async () => {
      const fx = await createAccountWithMembers(t);
      const { userId, token } = await invite(fx);
      const res = await t.http.post('/api/invitations/accept', { token, password: 'short' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'invited' });
      expect((await accept(token)).status).toBe(200);
    });

    it('gives the member the roles they hold when accepting, even when changed while invited', async () => {
      const fx = await createAccountWithMembers(t);
      const { userId, token } = await invite(fx, ['admin'], fx.owner.token);
      const lowered = await t.http.put(`/api/accounts/${fx.account.id}/users/${userId}`, { roles: ['viewer'] }, fx.owner.token);
      expect(lowered.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['viewer'], status: 'invited' });

      const [invitation] = await invitationRows(fx.account.id, userId);
      expect(invitation.roles).toEqual(['viewer']);

      expect((await accept(token)).status).toBe(200);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['viewer'], status: 'active' });
    });
  });

  describe('a user invited to two accounts', () => {
    it('sets the password with the first invitation; the second needs that same password', async () => {
      const first = await createAccountWithMembers(t);
      const second = await createAccountWithMembers(t);
      const email = uniqueEmail('twice-invited');
      for (const fx of [first, second]) {
        const res = await t.http.post(`/api/accounts/${fx.account.id}/users`, { email, roles: ['viewer'] }, fx.owner.token);
        expect(res.status).toBe(201);
      }
      const [{ id: userId }] = await t.db.query(`SELECT id FROM users WHERE email = $1`, [email]);
      const tokens: string[] = [];
      for (let i = 0; i < 2; i++) tokens.push((await invitationMail(email, tokens)).token);
      const [row] = await t.db.query(`SELECT account_id FROM invitations WHERE token_hash = $1`, [sha256(tokens[0])]);
      const [firstToken, secondToken] = row.account_id === first.account.id ? tokens : [...tokens].reverse();

      expect((await accept(firstToken)).status).toBe(200);
      const wrong = await accept(secondToken, { password: 'not-the-password-1' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
      await expect(membershipOf(t, second.account.id, userId)).resolves.toEqual({ roles: ['viewer'], status: 'invited' });
      await expect(invitationRows(second.account.id, userId)).resolves.toEqual([expect.objectContaining({ status: 'pending' })]);

      expect((await accept(secondToken)).status).toBe(200);
      await expect(membershipOf(t, second.account.id, userId)).resolves.toEqual({ roles: ['viewer'], status: 'active' });
      expect((await t.http.post('/api/auth/login', { email, password: PASSWORD })).status).toBe(200);
    });
  });

  describe('expiry', () => {
    it('refuses a link after 7 days and lists the invitation as expired; resending revives it', async () => {
      const fx = await createAccountWithMembers(t);
      const { email, userId, token } = await invite(fx);

      t.clock.advance(7 * DAY + 1000);
      expectInvalid(await accept(token));
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'invited' });
      await expect(t.db.query(`SELECT status, password_hash FROM users WHERE id = $1`, [userId])).resolves.toEqual([
        { status: 'invited', password_hash: null },
      ]);

      const list = await listInvitations(fx);
      expect(list.status).toBe(200);
      expect(list.body.value).toEqual([expect.objectContaining({ userId, status: 'expired' })]);
      const expired = await listInvitations(fx, `?$filter=${encodeURIComponent("status eq 'expired'")}`);
      expect(expired.body.count).toBe(1);

      // An expired invitation never blocks a new one: resending mails a fresh, working link.
      const resent = await t.http.put(`/api/accounts/${fx.account.id}/users/${userId}/invite`, undefined, await tokenFor(t, fx.manage.user));
      expect(resent.status).toBe(200);
      const second = await invitationMail(email, [token]);
      expect((await accept(second.token)).status).toBe(200);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'active' });
    });

    it('still accepts a link one second before its 7 days are up', async () => {
      const fx = await createAccountWithMembers(t);
      const { userId, token } = await invite(fx);
      t.clock.advance(7 * DAY - 1000);
      expect((await accept(token)).status).toBe(200);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'active' });
    });
  });

  describe('PUT /api/accounts/{id}/users/{userId}/invite', () => {
    it('mails a second link that works while the first one dies', async () => {
      const fx = await createAccountWithMembers(t);
      const { email, userId, token: first } = await invite(fx);

      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${userId}/invite`, undefined, fx.manage.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'Invitation email resent' });
      const { token: second } = await invitationMail(email, [first]);
      expect(second).not.toBe(first);
      const [row] = await invitationRows(fx.account.id, userId);
      expect(row).toMatchObject({ status: 'pending', send_count: 2, token_hash: sha256(second) });

      expectInvalid(await accept(first));
      expect((await accept(second)).status).toBe(200);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'active' });
      await expect(invitationRows(fx.account.id, userId)).resolves.toEqual([expect.objectContaining({ status: 'accepted', send_count: 2 })]);
    });

    it('resets the expiry: 6 days, resend, 6 more days, and the new link still works', async () => {
      const fx = await createAccountWithMembers(t);
      const { email, userId, token: first } = await invite(fx);

      t.clock.advance(6 * DAY);
      const resentAt = t.clock.now().getTime();
      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${userId}/invite`, undefined, await tokenFor(t, fx.manage.user));
      expect(res.status).toBe(200);
      const { token: second } = await invitationMail(email, [first]);
      const [row] = await invitationRows(fx.account.id, userId);
      expect(Math.abs(row.expires_at.getTime() - (resentAt + 7 * DAY))).toBeLessThan(5000);

      t.clock.advance(6 * DAY);
      expectInvalid(await accept(first));
      expect((await accept(second)).status).toBe(200);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'active' });
    });

    it('answers 409 for a member without a pending invitation and sends nothing', async () => {
      const fx = await createAccountWithMembers(t);
      const { userId, token } = await invite(fx);
      expect((await accept(token)).status).toBe(200);
      const mailsBefore = smtp.messages.length;

      for (const target of [userId, fx.viewer.user.id]) {
        const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${target}/invite`, undefined, fx.manage.token);
        expect(res.status).toBe(409);
      }
      await expect(invitationRows(fx.account.id, userId)).resolves.toEqual([expect.objectContaining({ status: 'accepted', send_count: 1 })]);
      await expect(
        t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'to' = ANY($1) AND status = 'pending'`, [[fx.viewer.user.email]]),
      ).resolves.toEqual([{ n: 0 }]);
      expect(smtp.messages.length).toBe(mailsBefore);
    });

    it('answers 404 USER_NOT_FOUND for a user who is not a member', async () => {
      const fx = await createAccountWithMembers(t);
      const stranger = await createMember(t);
      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${stranger.user.id}/invite`, undefined, fx.manage.token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('USER_NOT_FOUND');
      await expect(membershipOf(t, fx.account.id, stranger.user.id)).resolves.toBeUndefined();
    });
  });

  describe('GET /api/accounts/{id}/invitations', () => {
    let fx: AccountWithMembers;
    const ids: Record<'pending' | 'accepted' | 'revoked', number> = { pending: 0, accepted: 0, revoked: 0 };
    let pendingEmail: string;

    beforeAll(async () => {
      fx = await createAccountWithMembers(t);
      const pending = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
      const accepted = await createInvitation(t, fx.account.id, ['user'], fx.owner.user.id);
      const revoked = await createInvitation(t, fx.account.id, ['manage', 'user'], fx.owner.user.id);
      expect((await accept(accepted.token)).status).toBe(200);
      expect((await t.http.delete(`/api/accounts/${fx.account.id}/invitations/${revoked.invitation.id}`, await tokenFor(t, fx.owner.user))).status).toBe(200);
      ids.pending = pending.invitation.id;
      ids.accepted = accepted.invitation.id;
      ids.revoked = revoked.invitation.id;
      pendingEmail = pending.user.email;
    });

    it('lists the invitations, newest first, in their full shape', async () => {
      const res = await t.http.get(`/api/accounts/${fx.account.id}/invitations`, await tokenFor(t, fx.manage.user));
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(3);
      expect(res.body.value.map((i: { id: number; status: string }) => [i.id, i.status])).toEqual([
        [ids.revoked, 'revoked'],
        [ids.accepted, 'accepted'],
        [ids.pending, 'pending'],
      ]);
      expect(res.body.value[2]).toEqual({
        id: ids.pending,
        email: pendingEmail,
        roles: ['viewer'],
        status: 'pending',
        userId: expect.any(Number),
        invitedById: fx.owner.user.id,
        sendCount: 1,
        expiresAt: expect.stringMatching(ISO),
        acceptedAt: null,
        revokedAt: null,
        createdAt: expect.stringMatching(ISO),
      });
      expect(res.body.value[1].acceptedAt).toMatch(ISO);
      expect(res.body.value[0].revokedAt).toMatch(ISO);
    });

    it('filters, orders and pages with OData', async () => {
      const get = async (params: Record<string, string>) =>
        t.http.get(`/api/accounts/${fx.account.id}/invitations?${new URLSearchParams(params).toString()}`, await tokenFor(t, fx.manage.user));

      const pending = await get({ $filter: "status eq 'pending'" });
      expect(pending.body).toEqual({ value: [expect.objectContaining({ id: ids.pending })], count: 1 });

      const byEmail = await get({ $filter: `tolower(email) eq '${pendingEmail.toLowerCase()}'` });
      expect(byEmail.body.value.map((i: { id: number }) => i.id)).toEqual([ids.pending]);

      const byRole = await get({ $filter: "roles eq 'user'", $orderby: 'id asc' });
      expect(byRole.body.value.map((i: { id: number }) => i.id)).toEqual([ids.accepted, ids.revoked]);

      const page = await get({ $orderby: 'id asc', $top: '1', $skip: '1' });
      expect(page.body).toEqual({ value: [expect.objectContaining({ id: ids.accepted })], count: 3 });

      const bad = await get({ $filter: "tokenHash eq 'x'" });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('INVALID_FILTER');
    });

    it('answers 403 UNAUTHORIZED below manage', async () => {
      for (const caller of [fx.user, fx.viewer]) {
        const res = await t.http.get(`/api/accounts/${fx.account.id}/invitations`, await tokenFor(t, caller.user));
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
    });
  });

  describe('DELETE /api/accounts/{id}/invitations/{invitationId}', () => {
    it('revokes: the link dies and the invited membership is removed', async () => {
      const fx = await createAccountWithMembers(t);
      const { userId, token } = await invite(fx);
      const [row] = await invitationRows(fx.account.id, userId);

      const res = await t.http.delete(`/api/accounts/${fx.account.id}/invitations/${row.id}`, fx.manage.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'Invitation revoked' });
      await expect(invitationRows(fx.account.id, userId)).resolves.toEqual([
        expect.objectContaining({ status: 'revoked', revoked_at: expect.any(Date), accepted_at: null }),
      ]);
      await expect(membershipOf(t, fx.account.id, userId)).resolves.toBeUndefined();
      expectInvalid(await accept(token));
      await expect(t.db.query(`SELECT status, password_hash FROM users WHERE id = $1`, [userId])).resolves.toEqual([
        { status: 'invited', password_hash: null },
      ]);

      // Revoking again, or an invitation that does not exist here.
      expectInvalid(await t.http.delete(`/api/accounts/${fx.account.id}/invitations/${row.id}`, fx.manage.token));
      const other = await createAccountWithMembers(t);
      const foreign = await createInvitation(t, other.account.id, ['viewer']);
      const notHere = await t.http.delete(`/api/accounts/${fx.account.id}/invitations/${foreign.invitation.id}`, fx.manage.token);
      expect(notHere.status).toBe(404);
      expect(notHere.body.code).toBe('INVITATION_NOT_FOUND');
      await expect(membershipOf(t, other.account.id, foreign.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'invited' });
    });

    it('answers 403 UNAUTHORIZED below manage and keeps the invitation alive', async () => {
      const fx = await createAccountWithMembers(t);
      const invited = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
      const res = await t.http.delete(`/api/accounts/${fx.account.id}/invitations/${invited.invitation.id}`, fx.user.token);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('UNAUTHORIZED');
      expect((await accept(invited.token)).status).toBe(200);
    });

    it('two accepts of one token at once: exactly one logs in', async () => {
      const fx = await createAccountWithMembers(t);
      const invited = await createInvitation(t, fx.account.id, ['user'], fx.owner.user.id);
      const answers = await Promise.all([accept(invited.token), accept(invited.token, { password: 'the-other-password-7' })]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
      const winner = answers.find((a) => a.status === 200)!;
      const password = winner === answers[0] ? PASSWORD : 'the-other-password-7';
      expect((await t.http.post('/api/auth/login', { email: invited.user.email, password })).status).toBe(200);
      await expect(countWhere(`sessions WHERE user_id = $1`, [invited.user.id])).resolves.toBe(2);
      await expect(membershipOf(t, fx.account.id, invited.user.id)).resolves.toEqual({ roles: ['user'], status: 'active' });
    });

    it('an accept racing a revoke: exactly one wins, and the database agrees with the winner', async () => {
      const fx = await createAccountWithMembers(t);
      const outcomes = { accepted: 0, revoked: 0 };
      for (let i = 0; i < 10; i++) {
        const invited = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
        const [accepted, revoked] = await Promise.all([
          accept(invited.token),
          t.http.delete(`/api/accounts/${fx.account.id}/invitations/${invited.invitation.id}`, fx.manage.token),
        ]);
        expect([accepted.status, revoked.status].sort()).toEqual([200, 400]);
        const loser = accepted.status === 200 ? revoked : accepted;
        expect(loser.body.code).toBe('INVITATION_INVALID');

        const [row] = await invitationRows(fx.account.id, invited.user.id);
        if (accepted.status === 200) {
          outcomes.accepted += 1;
          expect(row).toMatchObject({ status: 'accepted', revoked_at: null });
          await expect(membershipOf(t, fx.account.id, invited.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'active' });
        } else {
          outcomes.revoked += 1;
          expect(row).toMatchObject({ status: 'revoked', accepted_at: null });
          await expect(membershipOf(t, fx.account.id, invited.user.id)).resolves.toBeUndefined();
          await expect(t.db.query(`SELECT status FROM users WHERE id = $1`, [invited.user.id])).resolves.toEqual([{ status: 'invited' }]);
        }
      }
      expect(outcomes.accepted + outcomes.revoked).toBe(10);
    });
  });
});
