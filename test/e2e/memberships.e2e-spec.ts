import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Account } from '../../src/accounts/account.entity.js';
import { SecretBox } from '../../src/common/security/secret-box.js';
import { type AccountRole, roleRank } from '../../src/memberships/account-role.js';
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
  createWebhook,
  membershipOf,
  type TestInvitation,
  type TestUser,
  uniqueAccountName,
} from '../factories/account.factory.js';
import { uniqueEmail } from '../factories/user.factory.js';
import { startSmtpServer, type TestSmtpServer } from '../setup/smtp.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Accounts that break the invariant "every account keeps at least one active owner". */
const ACCOUNTS_WITHOUT_ACTIVE_OWNER = `
  SELECT a.id FROM accounts a
   WHERE NOT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                      WHERE m.account_id = a.id AND 'owner' = ANY(m.roles) AND m.status = 'active' AND u.status = 'active')`;

describe('memberships', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let platformAdmin: TestUser;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50', APP_URL: 'https://accounts.example.test' });
    platformAdmin = await createPlatformAdmin(t);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const countWhere = async (sql: string, params: unknown[]): Promise<number> => {
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM ${sql}`, params);
    return count;
  };
  const membersOf = (accountId: number) => countWhere(`memberships WHERE account_id = $1`, [accountId]);
  const usersWithEmail = (email: string) => countWhere(`users WHERE lower(email) = lower($1)`, [email]);
  const invitationsOf = (accountId: number, userId: number) =>
    t.db.query(`SELECT * FROM invitations WHERE account_id = $1 AND user_id = $2 ORDER BY id`, [accountId, userId]);

  describe('POST /api/accounts/{id}/users', () => {
    it("invites a new email with the seed's example body: invited user, invited membership, pending invitation, a mail", async () => {
      const fx = await createAccountWithMembers(t);
      const email = uniqueEmail('newuser');
      const before = t.clock.now().getTime();
      const res = await t.http.post(
        `/api/accounts/${fx.account.id}/users`,
        { email, firstName: 'Jane', lastName: 'Smith', roles: ['user', 'viewer'] },
        fx.manage.token,
      );

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(Number), email, accountId: fx.account.id, roles: ['user', 'viewer'], createdAt: expect.stringMatching(ISO) });
      const [user] = await t.db.query(`SELECT * FROM users WHERE id = $1`, [res.body.id]);
      expect(user).toMatchObject({ email, first_name: 'Jane', last_name: 'Smith', status: 'invited', password_hash: null, is_admin: false });
      await expect(membershipOf(t, fx.account.id, res.body.id)).resolves.toEqual({ roles: ['user', 'viewer'], status: 'invited' });
      const [invitation, ...more] = await invitationsOf(fx.account.id, res.body.id);
      expect(more).toEqual([]);
      expect(invitation).toMatchObject({ email, status: 'pending', invited_by_id: fx.manage.user.id, send_count: 1, accepted_at: null, revoked_at: null });
      expect([...invitation.roles].sort()).toEqual(['user', 'viewer']);
      expect(invitation.token_hash).toMatch(/^[0-9a-f]{64}$/);
      const ttl = invitation.expires_at.getTime() - before;
      expect(ttl).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000 - 5000);
      expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600 * 1000 + 5000);

      const mail = await smtp.waitFor((m) => m.to.includes(email.toLowerCase()) || m.to.includes(email));
      expect(mail.subject).toBe(`You are invited to join ${fx.account.name}`);
      expect(mail.text).toMatch(/https:\/\/accounts\.example\.test\/invitations\/accept\?token=\S+/);

      // Without a password until the invitation is accepted: no login.
      const login = await t.http.post('/api/auth/login', { email, password: 'any-password-at-all' });
      expect(login.status).toBe(401);
      expect(login.body.code).toBe('INVALID_CREDENTIALS');
    });

    it('adds an existing user by email (in another case) directly: an active membership and no invitation', async () => {
      const fx = await createAccountWithMembers(t);
      const existing = await createMember(t);
      const res = await t.http.post(`/api/accounts/${fx.account.id}/users`, { email: existing.user.email.toUpperCase(), roles: ['viewer'] }, fx.admin.token);

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: existing.user.id, email: existing.user.email, accountId: fx.account.id, roles: ['viewer'], createdAt: expect.stringMatching(ISO) });
      await expect(membershipOf(t, fx.account.id, existing.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'active' });
      await expect(invitationsOf(fx.account.id, existing.user.id)).resolves.toEqual([]);
      await expect(usersWithEmail(existing.user.email)).resolves.toBe(1);
      expect((await t.http.get(`/api/accounts/${fx.account.id}`, existing.token)).status).toBe(200);
    });

    it("adds an existing user by id with the seed's example body", async () => {
      const fx = await createAccountWithMembers(t);
      const existing = await createMember(t);
      const res = await t.http.post(`/api/accounts/${fx.account.id}/users/${existing.user.id}`, { roles: ['user', 'admin'] }, fx.owner.token);

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ success: true, message: 'User added to account' });
      await expect(membershipOf(t, fx.account.id, existing.user.id)).resolves.toEqual({ roles: ['admin', 'user'], status: 'active' });
      const [audit] = await t.db.query(`SELECT action, actor_user_id FROM audit_events WHERE account_id = $1 AND target_id = $2`, [
        fx.account.id,
        String(existing.user.id),
      ]);
      expect(audit).toEqual({ action: 'membership.added', actor_user_id: fx.owner.user.id });
    });

    it('answers 404 USER_NOT_FOUND for an unknown user id and adds nobody', async () => {
      const fx = await createAccountWithMembers(t);
      const [{ max }] = await t.db.query(`SELECT coalesce(max(id), 0)::int AS max FROM users`);
      const res = await t.http.post(`/api/accounts/${fx.account.id}/users/${max + 1000}`, { roles: ['viewer'] }, fx.owner.token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('USER_NOT_FOUND');
      await expect(membersOf(fx.account.id)).resolves.toBe(5);
    });

    it('answers 409 USER_ALREADY_IN_ACCOUNT for a member, by email in any case or by id, and changes nothing', async () => {
      const fx = await createAccountWithMembers(t);
      const invited = await t.http.post(`/api/accounts/${fx.account.id}/users`, { email: uniqueEmail('twice'), roles: ['viewer'] }, fx.owner.token);
      expect(invited.status).toBe(201);

      const answers = [
        await t.http.post(`/api/accounts/${fx.account.id}/users`, { email: fx.viewer.user.email.toUpperCase(), roles: ['user'] }, fx.owner.token),
        await t.http.post(`/api/accounts/${fx.account.id}/users/${fx.viewer.user.id}`, { roles: ['user'] }, fx.owner.token),
        await t.http.post(`/api/accounts/${fx.account.id}/users`, { email: invited.body.email, roles: ['user'] }, fx.owner.token),
        await t.http.post(`/api/accounts/${fx.account.id}/users/${fx.owner.user.id}`, { roles: ['viewer'] }, fx.owner.token),
      ];
      for (const res of answers) {
        expect(res.status).toBe(409);
        expect(res.body).toEqual({ statusCode: 409, code: 'USER_ALREADY_IN_ACCOUNT', message: expect.any(String) });
      }
      await expect(membershipOf(t, fx.account.id, fx.viewer.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, invited.body.id)).resolves.toEqual({ roles: ['viewer'], status: 'invited' });
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
      await expect(invitationsOf(fx.account.id, invited.body.id)).resolves.toHaveLength(1);
      await expect(membersOf(fx.account.id)).resolves.toBe(6);
    });
  });

  describe('GET /api/accounts/{id}/users', () => {
    let fx: AccountWithMembers;
    let invitedId: number;

    beforeAll(async () => {
      fx = await createAccountWithMembers(t);
      const invited = await createInvitation(t, fx.account.id, ['viewer']);
      invitedId = invited.user.id;
    });

    it('lists the members with roles and status to any member', async () => {
      const res = await t.http.get(`/api/accounts/${fx.account.id}/users`, fx.viewer.token);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(6);
      expect(res.body.value).toHaveLength(6);
      expect(res.body.value[0]).toEqual({
        id: fx.owner.user.id,
        email: fx.owner.user.email,
        firstName: 'Test',
        lastName: 'User',
        roles: ['owner'],
        status: 'active',
        createdAt: expect.stringMatching(ISO),
      });
      expect(res.body.value.find((m: { id: number }) => m.id === invitedId)).toMatchObject({ status: 'invited', roles: ['viewer'] });
    });

    it('filters on email, roles and status, orders and pages, and counts the matches', async () => {
      const get = (params: Record<string, string>) =>
        t.http.get(`/api/accounts/${fx.account.id}/users?${new URLSearchParams(params).toString()}`, fx.manage.token);

      const byEmail = await get({ $filter: `email eq '${fx.admin.user.email.toUpperCase()}' or tolower(email) eq '${fx.admin.user.email}'` });
      expect(byEmail.body).toEqual({ value: [expect.objectContaining({ id: fx.admin.user.id })], count: 1 });

      const byRole = await get({ $filter: `roles in ('admin', 'owner')`, $orderby: 'email desc' });
      expect(byRole.body.count).toBe(2);
      expect(byRole.body.value.map((m: { id: number }) => m.id).sort()).toEqual([fx.admin.user.id, fx.owner.user.id].sort());

      const invited = await get({ $filter: `status eq 'invited'` });
      expect(invited.body).toEqual({ value: [expect.objectContaining({ id: invitedId })], count: 1 });

      const page = await get({ $top: '2', $skip: '2' });
      expect(page.body.count).toBe(6);
      // The default order is the order of joining (the membership id).
      const joined = await t.db.query(`SELECT user_id FROM memberships WHERE account_id = $1 ORDER BY id OFFSET 2 LIMIT 2`, [fx.account.id]);
      expect(page.body.value.map((m: { id: number }) => m.id)).toEqual(joined.map((r: { user_id: number }) => r.user_id));

      const bad = await get({ $filter: `password eq 'x'` });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('INVALID_FILTER');
    });
  });

  describe('PUT /api/accounts/{id}/users/{userId}', () => {
    it("updates roles and status with the seed's example body", async () => {
      const fx = await createAccountWithMembers(t);
      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.user.user.id}`, { roles: ['admin', 'user'], status: 'active' }, fx.owner.token);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'User roles updated' });
      await expect(membershipOf(t, fx.account.id, fx.user.user.id)).resolves.toEqual({ roles: ['admin', 'user'], status: 'active' });
    });

    it('disables a membership (the member loses access on the next request) and enables it again', async () => {
      const fx = await createAccountWithMembers(t);
      expect((await t.http.get(`/api/accounts/${fx.account.id}`, fx.viewer.token)).status).toBe(200);

      const disabled = await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.viewer.user.id}`, { status: 'disabled' }, fx.manage.token);
      expect(disabled.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, fx.viewer.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'disabled' });
      const denied = await t.http.get(`/api/accounts/${fx.account.id}`, fx.viewer.token);
      expect(denied.status).toBe(404);
      expect(denied.body.code).toBe('ACCOUNT_NOT_FOUND');

      const enabled = await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.viewer.user.id}`, { status: 'active' }, fx.manage.token);
      expect(enabled.status).toBe(200);
      expect((await t.http.get(`/api/accounts/${fx.account.id}`, fx.viewer.token)).status).toBe(200);
    });

    it('answers 404 USER_NOT_FOUND for a user who is not a member', async () => {
      const fx = await createAccountWithMembers(t);
      const stranger = await createMember(t);
      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${stranger.user.id}`, { roles: ['viewer'] }, fx.owner.token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('USER_NOT_FOUND');
      await expect(membershipOf(t, fx.account.id, stranger.user.id)).resolves.toBeUndefined();
    });

    it('answers 409 to a status change of an invited member, who has not accepted yet', async () => {
      const fx = await createAccountWithMembers(t);
      const invited = await createInvitation(t, fx.account.id, ['viewer']);
      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${invited.user.id}`, { status: 'active' }, fx.owner.token);
      expect(res.status).toBe(409);
      await expect(membershipOf(t, fx.account.id, invited.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'invited' });
    });
  });

  describe('DELETE /api/accounts/{id}/users/{userId}', () => {
    it('removes a member; the user stays and loses access at once', async () => {
      const fx = await createAccountWithMembers(t);
      const res = await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx.user.user.id}`, fx.manage.token);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'User removed from account' });
      await expect(membershipOf(t, fx.account.id, fx.user.user.id)).resolves.toBeUndefined();
      await expect(countWhere(`users WHERE id = $1 AND status = 'active'`, [fx.user.user.id])).resolves.toBe(1);
      expect((await t.http.get(`/api/accounts/${fx.account.id}`, fx.user.token)).status).toBe(404);
    });

    it.each(['viewer', 'user', 'manage', 'admin'] as const)('lets a %s remove themselves', async (role) => {
      const fx = await createAccountWithMembers(t);
      const res = await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx[role].user.id}`, fx[role].token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'User removed from account' });
      await expect(membershipOf(t, fx.account.id, fx[role].user.id)).resolves.toBeUndefined();
      const [audit] = await t.db.query(`SELECT action FROM audit_events WHERE account_id = $1 AND target_id = $2`, [fx.account.id, String(fx[role].user.id)]);
      expect(audit).toEqual({ action: 'membership.left' });
    });

    it('answers 403 UNAUTHORIZED to a viewer or user removing someone else, and keeps the member', async () => {
      const fx = await createAccountWithMembers(t);
      for (const caller of [fx.viewer, fx.user]) {
        const res = await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx.manage.user.id}`, caller.token);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      await expect(membershipOf(t, fx.account.id, fx.manage.user.id)).resolves.toEqual({ roles: ['manage'], status: 'active' });
    });

    it('revokes the pending invitation of an invited member it removes', async () => {
      const fx = await createAccountWithMembers(t);
      const invited = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
      const res = await t.http.delete(`/api/accounts/${fx.account.id}/users/${invited.user.id}`, fx.manage.token);
      expect(res.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, invited.user.id)).resolves.toBeUndefined();
      const [invitation] = await invitationsOf(fx.account.id, invited.user.id);
      expect(invitation).toMatchObject({ status: 'revoked', revoked_at: expect.any(Date) });
      const accept = await t.http.post('/api/invitations/accept', { token: invited.token, password: 'a-new-password-123' });
      expect(accept.status).toBe(400);
      expect(accept.body.code).toBe('INVITATION_INVALID');
    });

    it('answers 404 USER_NOT_FOUND for a user who is not a member', async () => {
      const fx = await createAccountWithMembers(t);
      const stranger = await createMember(t);
      const res = await t.http.delete(`/api/accounts/${fx.account.id}/users/${stranger.user.id}`, fx.owner.token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('USER_NOT_FOUND');
      await expect(membersOf(fx.account.id)).resolves.toBe(5);
    });
  });

  describe('rank rules', () => {
    let fx: AccountWithMembers;
    beforeEach(async () => {
      fx = await createAccountWithMembers(t);
    });

    const expectRefused = (res: { status: number; body: { code: string } }) => {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('UNAUTHORIZED');
    };

    it('a manager cannot grant admin, by email, by id or by update', async () => {
      const email = uniqueEmail('promoted');
      expectRefused(await t.http.post(`/api/accounts/${fx.account.id}/users`, { email, roles: ['admin'] }, fx.manage.token));
      const outsider = await createMember(t);
      expectRefused(await t.http.post(`/api/accounts/${fx.account.id}/users/${outsider.user.id}`, { roles: ['viewer', 'admin'] }, fx.manage.token));
      expectRefused(await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.viewer.user.id}`, { roles: ['admin'] }, fx.manage.token));
      expectRefused(await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.manage.user.id}`, { roles: ['admin'] }, fx.manage.token));

      await expect(usersWithEmail(email)).resolves.toBe(0);
      await expect(membershipOf(t, fx.account.id, outsider.user.id)).resolves.toBeUndefined();
      await expect(membershipOf(t, fx.account.id, fx.viewer.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, fx.manage.user.id)).resolves.toEqual({ roles: ['manage'], status: 'active' });
    });

    it('a manager cannot touch an admin: update, disable, remove, resend', async () => {
      expectRefused(await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.admin.user.id}`, { roles: ['viewer'] }, fx.manage.token));
      expectRefused(await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.admin.user.id}`, { status: 'disabled' }, fx.manage.token));
      expectRefused(await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx.admin.user.id}`, fx.manage.token));
      const invitedAdmin = await createInvitation(t, fx.account.id, ['admin'], fx.owner.user.id);
      expectRefused(await t.http.put(`/api/accounts/${fx.account.id}/users/${invitedAdmin.user.id}/invite`, undefined, fx.manage.token));
      expectRefused(await t.http.delete(`/api/accounts/${fx.account.id}/invitations/${invitedAdmin.invitation.id}`, fx.manage.token));

      await expect(membershipOf(t, fx.account.id, fx.admin.user.id)).resolves.toEqual({ roles: ['admin'], status: 'active' });
      await expect(invitationsOf(fx.account.id, invitedAdmin.user.id)).resolves.toEqual([
        expect.objectContaining({ status: 'pending', send_count: 1, token_hash: invitedAdmin.invitation.tokenHash }),
      ]);
    });

    it('a manager manages members at or below manage', async () => {
      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.viewer.user.id}`, { roles: ['manage', 'user'] }, fx.manage.token);
      expect(res.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, fx.viewer.user.id)).resolves.toEqual({ roles: ['manage', 'user'], status: 'active' });
      expect((await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx.user.user.id}`, fx.manage.token)).status).toBe(200);
      await expect(membershipOf(t, fx.account.id, fx.user.user.id)).resolves.toBeUndefined();
    });

    it('only owners grant or revoke owner: an admin is refused', async () => {
      const outsider = await createMember(t);
      expectRefused(await t.http.post(`/api/accounts/${fx.account.id}/users/${outsider.user.id}`, { roles: ['owner'] }, fx.admin.token));
      expectRefused(await t.http.post(`/api/accounts/${fx.account.id}/users`, { email: uniqueEmail(), roles: ['owner'] }, fx.admin.token));
      expectRefused(await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.manage.user.id}`, { roles: ['owner'] }, fx.admin.token));
      expectRefused(await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.admin.user.id}`, { roles: ['owner', 'admin'] }, fx.admin.token));
      expectRefused(await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.owner.user.id}`, { roles: ['admin'] }, fx.admin.token));
      expectRefused(await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx.owner.user.id}`, fx.admin.token));

      await expect(membershipOf(t, fx.account.id, outsider.user.id)).resolves.toBeUndefined();
      await expect(membershipOf(t, fx.account.id, fx.manage.user.id)).resolves.toEqual({ roles: ['manage'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, fx.admin.user.id)).resolves.toEqual({ roles: ['admin'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
    });

    it('an owner grants owner and revokes it from another owner', async () => {
      const granted = await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.admin.user.id}`, { roles: ['owner', 'admin'] }, fx.owner.token);
      expect(granted.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, fx.admin.user.id)).resolves.toEqual({ roles: ['owner', 'admin'], status: 'active' });

      const revoked = await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.admin.user.id}`, { roles: ['admin'] }, fx.owner.token);
      expect(revoked.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, fx.admin.user.id)).resolves.toEqual({ roles: ['admin'], status: 'active' });
    });

    it('a platform administrator grants owner without being a member', async () => {
      const res = await t.http.put(`/api/accounts/${fx.account.id}/users/${fx.viewer.user.id}`, { roles: ['owner'] }, platformAdmin.token);
      expect(res.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, fx.viewer.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, platformAdmin.user.id)).resolves.toBeUndefined();
    });
  });

  describe('last owner', () => {
    const expectLastOwner = (res: { status: number; body: { code: string } }) => {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('LAST_OWNER');
    };

    it('the last owner cannot leave, be removed by a platform admin, drop the owner role or be disabled', async () => {
      const fx = await createAccountWithMembers(t);
      const path = `/api/accounts/${fx.account.id}/users/${fx.owner.user.id}`;
      expectLastOwner(await t.http.delete(path, fx.owner.token));
      expectLastOwner(await t.http.delete(path, platformAdmin.token));
      expectLastOwner(await t.http.put(path, { roles: ['admin'] }, fx.owner.token));
      expectLastOwner(await t.http.put(path, { roles: ['admin'] }, platformAdmin.token));
      expectLastOwner(await t.http.put(path, { status: 'disabled' }, fx.owner.token));
      expectLastOwner(await t.http.put(path, { status: 'disabled' }, platformAdmin.token));

      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
      await expect(t.db.query(`${ACCOUNTS_WITHOUT_ACTIVE_OWNER} AND a.id = $1`, [fx.account.id])).resolves.toEqual([]);
    });

    it('an owner whose membership is disabled does not count: the only active owner still cannot leave', async () => {
      const fx = await createAccountWithMembers(t);
      const dormant = await createAccountMember(t, fx.account.id, ['owner'], 'disabled');
      expectLastOwner(await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx.owner.user.id}`, fx.owner.token));
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, dormant.user.id)).resolves.toEqual({ roles: ['owner'], status: 'disabled' });
    });

    it('an owner whose user is disabled does not count either', async () => {
      const fx = await createAccountWithMembers(t);
      const other = await createAccountMember(t, fx.account.id, ['owner']);
      await t.db.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [other.user.id]);
      expectLastOwner(await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx.owner.user.id}`, fx.owner.token));
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
      await t.db.query(`UPDATE users SET status = 'active' WHERE id = $1`, [other.user.id]);
    });

    it('one of two active owners may leave, or be demoted', async () => {
      const fx = await createAccountWithMembers(t);
      const second = await createAccountMember(t, fx.account.id, ['owner']);
      const demoted = await t.http.put(`/api/accounts/${fx.account.id}/users/${second.user.id}`, { roles: ['admin'] }, fx.owner.token);
      expect(demoted.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, second.user.id)).resolves.toEqual({ roles: ['admin'], status: 'active' });

      await t.db.query(`UPDATE memberships SET roles = '{owner}' WHERE account_id = $1 AND user_id = $2`, [fx.account.id, second.user.id]);
      const left = await t.http.delete(`/api/accounts/${fx.account.id}/users/${fx.owner.user.id}`, fx.owner.token);
      expect(left.status).toBe(200);
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toBeUndefined();
      await expect(t.db.query(`${ACCOUNTS_WITHOUT_ACTIVE_OWNER} AND a.id = $1`, [fx.account.id])).resolves.toEqual([]);
    });
  });

  describe('POST /api/accounts/{id}/transfer-ownership', () => {
    it("makes the target owner and turns the caller's owner role into admin", async () => {
      const fx = await createAccountWithMembers(t);
      const res = await t.http.post(`/api/accounts/${fx.account.id}/transfer-ownership`, { userId: fx.user.user.id }, fx.owner.token);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: 'Ownership transferred' });
      await expect(membershipOf(t, fx.account.id, fx.user.user.id)).resolves.toEqual({ roles: ['owner', 'user'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['admin'], status: 'active' });

      // The former owner is an admin now; the new owner holds the owner's powers.
      const refused = await t.http.delete(`/api/accounts/${fx.account.id}`, fx.owner.token);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('UNAUTHORIZED');
      const [audit] = await t.db.query(`SELECT action, target_id FROM audit_events WHERE account_id = $1 AND action = 'account.ownership_transferred'`, [
        fx.account.id,
      ]);
      expect(audit).toEqual({ action: 'account.ownership_transferred', target_id: String(fx.user.user.id) });
    });

    it('keeps the caller\'s other roles', async () => {
      const { account, owner } = await createAccount(t);
      await t.db.query(`UPDATE memberships SET roles = '{owner,viewer}' WHERE account_id = $1 AND user_id = $2`, [account.id, owner.user.id]);
      const target = await createAccountMember(t, account.id, ['admin']);
      const res = await t.http.post(`/api/accounts/${account.id}/transfer-ownership`, { userId: target.user.id }, owner.token);
      expect(res.status).toBe(200);
      await expect(membershipOf(t, account.id, owner.user.id)).resolves.toEqual({ roles: ['admin', 'viewer'], status: 'active' });
      await expect(membershipOf(t, account.id, target.user.id)).resolves.toEqual({ roles: ['owner', 'admin'], status: 'active' });
    });

    it('answers 403 UNAUTHORIZED to an admin and changes nothing', async () => {
      const fx = await createAccountWithMembers(t);
      const res = await t.http.post(`/api/accounts/${fx.account.id}/transfer-ownership`, { userId: fx.admin.user.id }, fx.admin.token);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('UNAUTHORIZED');
      await expect(membershipOf(t, fx.account.id, fx.admin.user.id)).resolves.toEqual({ roles: ['admin'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
    });

    it('answers 404 USER_NOT_FOUND for a non-member and 409 for an invited or disabled member, changing nothing', async () => {
      const fx = await createAccountWithMembers(t);
      const stranger = await createMember(t);
      const notMember = await t.http.post(`/api/accounts/${fx.account.id}/transfer-ownership`, { userId: stranger.user.id }, fx.owner.token);
      expect(notMember.status).toBe(404);
      expect(notMember.body.code).toBe('USER_NOT_FOUND');

      const invited = await createInvitation(t, fx.account.id, ['viewer']);
      const disabled = await createAccountMember(t, fx.account.id, ['admin'], 'disabled');
      for (const userId of [invited.user.id, disabled.user.id]) {
        const res = await t.http.post(`/api/accounts/${fx.account.id}/transfer-ownership`, { userId }, fx.owner.token);
        expect(res.status).toBe(409);
      }
      await expect(membershipOf(t, fx.account.id, fx.owner.user.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
      await expect(membershipOf(t, fx.account.id, invited.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'invited' });
      await expect(membershipOf(t, fx.account.id, disabled.user.id)).resolves.toEqual({ roles: ['admin'], status: 'disabled' });
      await expect(membershipOf(t, fx.account.id, stranger.user.id)).resolves.toBeUndefined();
    });

    it('answers 400 VALIDATION_FAILED for an unknown property or a missing userId', async () => {
      const fx = await createAccountWithMembers(t);
      for (const body of [{ userId: fx.admin.user.id, keepOwner: true }, {}]) {
        const res = await t.http.post(`/api/accounts/${fx.account.id}/transfer-ownership`, body, fx.owner.token);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      await expect(membershipOf(t, fx.account.id, fx.admin.user.id)).resolves.toEqual({ roles: ['admin'], status: 'active' });
    });
  });

  describe('role matrix', () => {
    type Caller = 'anonymous' | 'non-member' | 'owner of another account' | AccountRole | 'platform admin';
    const CALLERS: Caller[] = ['anonymous', 'non-member', 'owner of another account', 'viewer', 'user', 'manage', 'admin', 'owner', 'platform admin'];

    /** One account with a member of each role, and things for the routes to act on. */
    interface Fixture {
      account: Account;
      tokens: Record<Caller, string | undefined>;
      /** An active viewer who is not one of the callers. */
      target: TestUser;
      /** An invited viewer with a pending invitation. */
      invited: TestInvitation;
      /** An active user who is not a member. */
      outsider: TestUser;
      /** An API token of the target, limited to the account. */
      apiTokenId: string;
      /** A webhook of the account. */
      webhookId: string;
    }

    interface Row {
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      /** The path template exactly as the OpenAPI document names it. */
      path: string;
      /** The lowest role that SPEC's table lets through; platform admins always pass. */
      min: AccountRole;
      ok: number;
      params?: (fx: Fixture) => Record<string, number | string>;
      body?: (fx: Fixture) => unknown;
      /** Changes state: each caller gets a fresh fixture. */
      destructive?: boolean;
      /** The database state after a successful call. */
      after?: (fx: Fixture, caller: Caller, body: any) => Promise<void>;
    }

    const MATRIX: Row[] = [
      {
        method: 'GET',
        path: '/api/accounts/{id}',
        min: 'viewer',
        ok: 200,
        after: async (fx, _c, body) => expect(body).toMatchObject({ id: fx.account.id, name: fx.account.name }),
      },
      {
        method: 'PUT',
        path: '/api/accounts/{id}',
        min: 'manage',
        ok: 200,
        destructive: true,
        body: () => ({ description: 'set by the matrix' }),
        after: async (fx) =>
          expect(t.db.query(`SELECT description FROM accounts WHERE id = $1`, [fx.account.id])).resolves.toEqual([{ description: 'set by the matrix' }]),
      },
      {
        method: 'DELETE',
        path: '/api/accounts/{id}',
        min: 'owner',
        ok: 200,
        destructive: true,
        after: async (fx) => {
          await expect(countWhere(`accounts WHERE id = $1`, [fx.account.id])).resolves.toBe(0);
          await expect(membersOf(fx.account.id)).resolves.toBe(0);
        },
      },
      {
        method: 'GET',
        path: '/api/accounts/{id}/users',
        min: 'viewer',
        ok: 200,
        after: async (_fx, _c, body) => expect(body).toEqual({ value: expect.any(Array), count: 7 }),
      },
      {
        method: 'POST',
        path: '/api/accounts/{id}/users',
        min: 'manage',
        ok: 201,
        destructive: true,
        body: () => ({ email: uniqueEmail('matrix'), roles: ['viewer'] }),
        after: async (fx, _c, body) => expect(membershipOf(t, fx.account.id, body.id)).resolves.toEqual({ roles: ['viewer'], status: 'invited' }),
      },
      {
        method: 'POST',
        path: '/api/accounts/{id}/users/{userId}',
        min: 'manage',
        ok: 201,
        destructive: true,
        params: (fx) => ({ userId: fx.outsider.user.id }),
        body: () => ({ roles: ['viewer'] }),
        after: async (fx) => expect(membershipOf(t, fx.account.id, fx.outsider.user.id)).resolves.toEqual({ roles: ['viewer'], status: 'active' }),
      },
      {
        method: 'PUT',
        path: '/api/accounts/{id}/users/{userId}',
        min: 'manage',
        ok: 200,
        destructive: true,
        params: (fx) => ({ userId: fx.target.user.id }),
        body: () => ({ roles: ['user'] }),
        after: async (fx) => expect(membershipOf(t, fx.account.id, fx.target.user.id)).resolves.toEqual({ roles: ['user'], status: 'active' }),
      },
      {
        method: 'DELETE',
        path: '/api/accounts/{id}/users/{userId}',
        min: 'manage',
        ok: 200,
        destructive: true,
        params: (fx) => ({ userId: fx.target.user.id }),
        after: async (fx) => expect(membershipOf(t, fx.account.id, fx.target.user.id)).resolves.toBeUndefined(),
      },
      {
        method: 'PUT',
        path: '/api/accounts/{id}/users/{userId}/invite',
        min: 'manage',
        ok: 200,
        destructive: true,
        params: (fx) => ({ userId: fx.invited.user.id }),
        after: async (fx) => {
          const [row] = await invitationsOf(fx.account.id, fx.invited.user.id);
          expect(row).toMatchObject({ status: 'pending', send_count: 2 });
          expect(row.token_hash).not.toBe(fx.invited.invitation.tokenHash);
          // The new link is mailed to the invited address.
          await expect(countWhere(`outbox WHERE payload->>'to' = $1`, [fx.invited.user.email])).resolves.toBe(1);
        },
      },
      {
        method: 'POST',
        path: '/api/accounts/{id}/transfer-ownership',
        min: 'owner',
        ok: 200,
        destructive: true,
        body: (fx) => ({ userId: fx.target.user.id }),
        after: async (fx) => expect(membershipOf(t, fx.account.id, fx.target.user.id)).resolves.toEqual({ roles: ['owner', 'viewer'], status: 'active' }),
      },
      {
        method: 'GET',
        path: '/api/accounts/{id}/invitations',
        min: 'manage',
        ok: 200,
        after: async (fx, _c, body) => expect(body).toEqual({ value: [expect.objectContaining({ id: fx.invited.invitation.id })], count: 1 }),
      },
      {
        method: 'DELETE',
        path: '/api/accounts/{id}/invitations/{invitationId}',
        min: 'manage',
        ok: 200,
        destructive: true,
        params: (fx) => ({ invitationId: fx.invited.invitation.id }),
        after: async (fx) => {
          await expect(invitationsOf(fx.account.id, fx.invited.user.id)).resolves.toEqual([expect.objectContaining({ status: 'revoked' })]);
          await expect(membershipOf(t, fx.account.id, fx.invited.user.id)).resolves.toBeUndefined();
        },
      },
      {
        method: 'GET',
        path: '/api/accounts/{id}/tokens',
        min: 'manage',
        ok: 200,
        after: async (fx, _c, body) => expect(body).toEqual({ value: [expect.objectContaining({ id: fx.apiTokenId, revokedAt: null })], count: 1 }),
      },
      {
        method: 'DELETE',
        path: '/api/accounts/{id}/tokens/{tokenId}',
        min: 'manage',
        ok: 200,
        destructive: true,
        params: (fx) => ({ tokenId: fx.apiTokenId }),
        after: async (fx) =>
          expect(countWhere(`api_tokens WHERE id = $1 AND revoked_at IS NOT NULL`, [fx.apiTokenId])).resolves.toBe(1),
      },
      {
        method: 'GET',
        path: '/api/accounts/{id}/audit-events',
        min: 'admin',
        ok: 200,
        after: async (_fx, _c, body) => expect(body).toEqual({ value: expect.any(Array), count: expect.any(Number) }),
      },
      {
        method: 'POST',
        path: '/api/accounts/{id}/webhooks',
        min: 'admin',
        ok: 201,
        destructive: true,
        body: () => ({ url: 'https://hooks.example.test/matrix', events: ['membership.added'] }),
        after: async (fx, _c, body) =>
          expect(t.db.query(`SELECT url, events FROM webhooks WHERE id = $1 AND account_id = $2`, [body.id, fx.account.id])).resolves.toEqual([
            { url: 'https://hooks.example.test/matrix', events: ['membership.added'] },
          ]),
      },
      {
        method: 'GET',
        path: '/api/accounts/{id}/webhooks',
        min: 'admin',
        ok: 200,
        after: async (fx, _c, body) => expect(body).toEqual({ value: [expect.objectContaining({ id: fx.webhookId })], count: 1 }),
      },
      {
        method: 'GET',
        path: '/api/accounts/{id}/webhooks/{webhookId}',
        min: 'admin',
        ok: 200,
        params: (fx) => ({ webhookId: fx.webhookId }),
        after: async (fx, _c, body) => expect(body).toMatchObject({ id: fx.webhookId, accountId: fx.account.id }),
      },
      {
        method: 'PATCH',
        path: '/api/accounts/{id}/webhooks/{webhookId}',
        min: 'admin',
        ok: 200,
        destructive: true,
        params: (fx) => ({ webhookId: fx.webhookId }),
        body: () => ({ description: 'set by the matrix' }),
        after: async (fx) => expect(t.db.query(`SELECT description FROM webhooks WHERE id = $1`, [fx.webhookId])).resolves.toEqual([{ description: 'set by the matrix' }]),
      },
      {
        method: 'DELETE',
        path: '/api/accounts/{id}/webhooks/{webhookId}',
        min: 'admin',
        ok: 200,
        destructive: true,
        params: (fx) => ({ webhookId: fx.webhookId }),
        after: async (fx) => expect(countWhere(`webhooks WHERE id = $1`, [fx.webhookId])).resolves.toBe(0),
      },
      {
        method: 'POST',
        path: '/api/accounts/{id}/webhooks/{webhookId}/secret',
        min: 'admin',
        ok: 200,
        destructive: true,
        params: (fx) => ({ webhookId: fx.webhookId }),
        after: async (fx, _c, body) => {
          const [row] = await t.db.query(`SELECT secret_sealed FROM webhooks WHERE id = $1`, [fx.webhookId]);
          expect(t.app.get(SecretBox).open(row.secret_sealed)).toBe(body.secret);
        },
      },
      {
        method: 'POST',
        path: '/api/accounts/{id}/webhooks/{webhookId}/ping',
        min: 'admin',
        ok: 202,
        destructive: true,
        params: (fx) => ({ webhookId: fx.webhookId }),
        after: async (fx) => expect(countWhere(`outbox WHERE webhook_id = $1 AND payload->>'type' = 'webhook.ping'`, [fx.webhookId])).resolves.toBe(1),
      },
      {
        method: 'GET',
        path: '/api/accounts/{id}/webhooks/{webhookId}/deliveries',
        min: 'admin',
        ok: 200,
        params: (fx) => ({ webhookId: fx.webhookId }),
        after: async (_fx, _c, body) => expect(body).toEqual({ value: expect.any(Array), count: expect.any(Number) }),
      },
    ];

    /** The callers, made once: each fixture account gives the role callers their memberships. */
    let callers: Record<Exclude<Caller, 'anonymous'>, TestUser>;
    let shared: Fixture;

    beforeAll(async () => {
      const [nonMember, otherOwner, viewer, user, manage, admin, owner] = await Promise.all(
        ['non-member', 'other-owner', 'viewer', 'user', 'manage', 'admin', 'owner'].map((label) => createMember(t, { email: uniqueEmail(label) })),
      );
      await createAccount(t, { owner: otherOwner });
      callers = { 'non-member': nonMember, 'owner of another account': otherOwner, viewer, user, manage, admin, owner, 'platform admin': platformAdmin };
      shared = await makeFixture();
    });

    async function makeFixture(): Promise<Fixture> {
      const { account } = await createAccount(t, { owner: callers.owner });
      for (const role of ['viewer', 'user', 'manage', 'admin'] as const) await addMembership(t, account.id, callers[role].user.id, [role]);
      const target = await createAccountMember(t, account.id, ['viewer']);
      const invited = await createInvitation(t, account.id, ['viewer'], callers.owner.user.id);
      const outsider = await createMember(t);
      const apiToken = await createApiToken(t, target.user.id, account.id);
      const webhook = await createWebhook(t, account.id);
      const tokens = Object.fromEntries(CALLERS.map((c) => [c, c === 'anonymous' ? undefined : callers[c].token])) as Fixture['tokens'];
      return { account, tokens, target, invited, outsider, apiTokenId: apiToken.id, webhookId: webhook.id };
    }

    function expected(row: Row, caller: Caller): { status: number; code?: string } {
      if (caller === 'anonymous') return { status: 401, code: 'UNAUTHENTICATED' };
      if (caller === 'non-member' || caller === 'owner of another account') return { status: 404, code: 'ACCOUNT_NOT_FOUND' };
      if (caller === 'platform admin' || roleRank(caller) >= roleRank(row.min)) return { status: row.ok };
      return { status: 403, code: 'UNAUTHORIZED' };
    }

    /** What a refused call must leave exactly as it was. */
    const snapshot = async (accountId: number) => ({
      account: await t.db.query(`SELECT * FROM accounts WHERE id = $1`, [accountId]),
      memberships: await t.db.query(`SELECT user_id, roles, status, updated_at FROM memberships WHERE account_id = $1 ORDER BY user_id`, [accountId]),
      invitations: await t.db.query(`SELECT id, status, token_hash, expires_at, send_count FROM invitations WHERE account_id = $1 ORDER BY id`, [accountId]),
      apiTokens: await t.db.query(`SELECT id, revoked_at FROM api_tokens WHERE account_id = $1 ORDER BY id`, [accountId]),
      webhooks: await t.db.query(`SELECT * FROM webhooks WHERE account_id = $1 ORDER BY id`, [accountId]),
      webhookDeliveries: await t.db.query(`SELECT o.id FROM outbox o JOIN webhooks w ON w.id = o.webhook_id WHERE w.account_id = $1 ORDER BY o.id`, [accountId]),
    });

    const cells = MATRIX.flatMap((row) => CALLERS.map((caller) => [`${row.method} ${row.path}`, caller, row] as const));

    it.each(cells)('%s as %s', async (_route, caller, row) => {
      const fx = row.destructive ? await makeFixture() : shared;
      const params: Record<string, number | string> = { id: fx.account.id, accountId: fx.account.id, idOrName: fx.account.id, ...row.params?.(fx) };
      const path = row.path.replace(/\{(\w+)\}/g, (_m, name: string) => String(params[name]));
      const before = await snapshot(fx.account.id);

      const res = await t.http.request(row.method, path, row.body?.(fx), { token: fx.tokens[caller] });

      const want = expected(row, caller);
      expect({ status: res.status, code: res.body?.code }).toEqual({ status: want.status, code: want.code });
      if (want.status < 300) await row.after?.(fx, caller, res.body);
      else await expect(snapshot(fx.account.id)).resolves.toEqual(before);
    });

    it('lists every account route of the OpenAPI document, and no route the document lacks', async () => {
      const doc = await t.http.get('/docs-json');
      expect(doc.status).toBe(200);
      const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
        .filter(([path]) => /^\/api\/accounts\/\{(id|accountId|idOrName)\}/.test(path))
        .flatMap(([path, operations]) =>
          Object.keys(operations)
            .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
            .map((method) => `${method.toUpperCase()} ${path}`),
        )
        .sort();
      const inMatrix = MATRIX.map((row) => `${row.method} ${row.path}`).sort();
      expect(documented.filter((route) => !inMatrix.includes(route))).toEqual([]); // routes missing from the matrix
      expect(inMatrix.filter((route) => !documented.includes(route))).toEqual([]); // matrix rows the app no longer has
    });
  });

  describe('concurrency', () => {
    it('two owners removing each other at once never both succeed (50 times, a fresh account each time)', async () => {
      const a = await createMember(t, { email: uniqueEmail('owner-a') });
      const b = await createMember(t, { email: uniqueEmail('owner-b') });
      const accountIds: number[] = [];
      for (let i = 0; i < 50; i++) {
        const { account } = await createAccount(t, { owner: a });
        await addMembership(t, account.id, b.user.id, ['owner']);
        accountIds.push(account.id);

        const [byA, byB] = await Promise.all([
          t.http.delete(`/api/accounts/${account.id}/users/${b.user.id}`, a.token),
          t.http.delete(`/api/accounts/${account.id}/users/${a.user.id}`, b.token),
        ]);
        const statuses = [byA.status, byB.status];
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        const loser = byA.status === 200 ? byB : byA;
        expect([409, 404]).toContain(loser.status);
        expect(loser.body.code).toBe(loser.status === 409 ? 'LAST_OWNER' : 'ACCOUNT_NOT_FOUND');
        await expect(membersOf(account.id)).resolves.toBe(1);
      }
      await expect(t.db.query(`${ACCOUNTS_WITHOUT_ACTIVE_OWNER} AND a.id = ANY($1)`, [accountIds])).resolves.toEqual([]);
      await expect(t.db.query(ACCOUNTS_WITHOUT_ACTIVE_OWNER)).resolves.toEqual([]);
    });

    it('five managers adding one new email at once: one 201, the others 409 USER_ALREADY_IN_ACCOUNT, one user, one invitation', async () => {
      const fx = await createAccountWithMembers(t);
      const email = uniqueEmail('together');
      const callers = [fx.owner, fx.admin, fx.manage, fx.owner, fx.admin];
      const answers = await Promise.all(
        callers.map((caller, i) =>
          t.http.post(`/api/accounts/${fx.account.id}/users`, { email: i % 2 ? email.toUpperCase() : email, roles: ['viewer'] }, caller.token),
        ),
      );
      expect(answers.filter((res) => res.status === 201)).toHaveLength(1);
      for (const res of answers.filter((r) => r.status !== 201)) {
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('USER_ALREADY_IN_ACCOUNT');
      }
      await expect(usersWithEmail(email)).resolves.toBe(1);
      await expect(membersOf(fx.account.id)).resolves.toBe(6);
      await expect(countWhere(`invitations WHERE account_id = $1 AND lower(email) = lower($2)`, [fx.account.id, email])).resolves.toBe(1);
    });

    it('30 parallel signups with one email in mixed case: one 201, the others 409, one user row', async () => {
      const base = uniqueEmail('race');
      const variants = Array.from({ length: 30 }, (_, i) =>
        [...base].map((ch, j) => ((i >> j % 5) & 1 ? ch.toUpperCase() : ch)).join(''),
      );
      const names = variants.map(() => uniqueAccountName('Race'));
      const answers = await Promise.all(
        variants.map((email, i) =>
          t.http.post('/api/accounts/signup', { email, password: 'secure_password_123', firstName: 'R', lastName: 'C', accountName: names[i] }),
        ),
      );

      const created = answers.filter((res) => res.status === 201);
      expect(created).toHaveLength(1);
      for (const res of answers.filter((r) => r.status !== 201)) {
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('EMAIL_ALREADY_EXISTS');
      }
      await expect(usersWithEmail(base)).resolves.toBe(1);
      // Only the winner's account exists, with the winner as its owner.
      await expect(countWhere(`accounts WHERE name = ANY($1)`, [names])).resolves.toBe(1);
      await expect(membershipOf(t, created[0].body.accountId, created[0].body.id)).resolves.toEqual({ roles: ['owner'], status: 'active' });
    });
  });
});
