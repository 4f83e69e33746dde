import type { Account } from '../../src/accounts/account.entity.js';
import { AccountsService, type NewAccount } from '../../src/accounts/accounts.service.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { PasswordsService } from '../../src/auth/passwords.service.js';
import { SecretBox } from '../../src/common/security/secret-box.js';
import { randomSecret, sha256Hex } from '../../src/common/security/secrets.js';
import type { AccountRole } from '../../src/memberships/account-role.js';
import { Invitation } from '../../src/memberships/invitation.entity.js';
import { INVITATION_TTL_MS } from '../../src/memberships/invitations.service.js';
import { Membership, type MembershipStatus } from '../../src/memberships/membership.entity.js';
import type { CreatedTokenDto } from '../../src/tokens/dto/token.dto.js';
import { TokensService } from '../../src/tokens/tokens.service.js';
import type { User } from '../../src/users/user.entity.js';
import { type NewUser, UsersService } from '../../src/users/users.service.js';
import { Webhook } from '../../src/webhooks/webhook.entity.js';
import type { TestApp } from '../setup/test-app.js';
import { DEFAULT_PASSWORD, uniqueEmail } from './user.factory.js';

/**
 * Factories for accounts, members and invitations. They write through the services and
 * repositories (as the app does), and keep fixtures cheap: one real argon2id hash of
 * `DEFAULT_PASSWORD` per app, shared by every user made here, and logins started through
 * `AuthService.startSession` (the code path of `/api/auth/login` after the password check), so
 * a member costs a few inserts and no argon2 work.
 */

const FACTORY_CONTEXT = { ip: '127.0.0.1', userAgent: 'test-factory', requestId: 'test-factory' };

let accountSequence = 0;

/** A unique account name for this run. */
export function uniqueAccountName(label = 'Account'): string {
  accountSequence += 1;
  return `${label} ${process.pid}-${accountSequence}-${Math.random().toString(36).slice(2, 7)}`;
}

const hashes = new WeakMap<TestApp, Promise<string>>();

/** The argon2id hash of `DEFAULT_PASSWORD`, computed once per app. */
function defaultHash(t: TestApp): Promise<string> {
  let hash = hashes.get(t);
  if (!hash) {
    hash = t.app.get(PasswordsService).hash(DEFAULT_PASSWORD);
    hashes.set(t, hash);
  }
  return hash;
}

export interface TestUser {
  user: User;
  password: string;
  /** An access token of a fresh session (mint another with `tokenFor` after moving the clock). */
  token: string;
}

/** A fresh access token for `user` (a new session), as a login would give. */
export async function tokenFor(t: TestApp, user: User): Promise<string> {
  const auth = t.app.get(AuthService);
  const login = await t.db.transaction((em) => auth.startSession(em, user, FACTORY_CONTEXT));
  return login.accessToken;
}

/** An active user with the password `DEFAULT_PASSWORD`, logged in. */
export async function createMember(t: TestApp, overrides: Partial<NewUser> = {}): Promise<TestUser> {
  const passwordHash = await defaultHash(t);
  const user = await t.app
    .get(UsersService)
    .create(t.db.manager, { email: uniqueEmail(), firstName: 'Test', lastName: 'User', passwordHash, status: 'active', ...overrides });
  return { user, password: DEFAULT_PASSWORD, token: await tokenFor(t, user) };
}

/** An active platform administrator (`is_admin` set by SQL), logged in. */
export async function createPlatformAdmin(t: TestApp): Promise<TestUser> {
  const admin = await createMember(t, { email: uniqueEmail('platform-admin') });
  await t.db.query(`UPDATE users SET is_admin = true WHERE id = $1`, [admin.user.id]);
  return admin;
}

/** An account owned by `owner` (a new logged-in user unless given), created through `AccountsService`. */
export async function createAccount(
  t: TestApp,
  options: { owner?: TestUser; fields?: Partial<NewAccount> } = {},
): Promise<{ account: Account; owner: TestUser }> {
  const owner = options.owner ?? (await createMember(t, { email: uniqueEmail('owner') }));
  const accounts = t.app.get(AccountsService);
  const account = await t.db.transaction((em) =>
    accounts.createWithOwner(em, { name: uniqueAccountName(), ...options.fields }, owner.user.id, { userId: owner.user.id }, null),
  );
  return { account, owner };
}

/** Gives an existing user a membership (roles, status) in an account. */
export async function addMembership(
  t: TestApp,
  accountId: number,
  userId: number,
  roles: AccountRole[],
  status: MembershipStatus = 'active',
): Promise<void> {
  await t.db.getRepository(Membership).insert({ accountId, userId, roles, status });
}

/** A new logged-in user who is a member of the account with these roles. */
export async function createAccountMember(
  t: TestApp,
  accountId: number,
  roles: AccountRole[],
  status: MembershipStatus = 'active',
): Promise<TestUser> {
  const member = await createMember(t, { email: uniqueEmail(roles.join('-')) });
  await addMembership(t, accountId, member.user.id, roles, status);
  return member;
}

export interface AccountWithMembers {
  account: Account;
  owner: TestUser;
  admin: TestUser;
  manage: TestUser;
  user: TestUser;
  viewer: TestUser;
}

/** An account with one member of each role. */
export async function createAccountWithMembers(t: TestApp, name?: string): Promise<AccountWithMembers> {
  const { account, owner } = await createAccount(t, name ? { fields: { name } } : {});
  const [admin, manage, user, viewer] = await Promise.all(
    (['admin', 'manage', 'user', 'viewer'] as const).map((role) => createAccountMember(t, account.id, [role])),
  );
  return { account, owner, admin, manage, user, viewer };
}

export interface TestInvitation {
  invitation: Invitation;
  user: User;
  /** The token the mail would carry. */
  token: string;
}

/**
 * An invited user (no password), an `invited` membership and a pending invitation whose token is
 * returned, as `POST /api/accounts/{id}/users` leaves them, but without the mail.
 */
export async function createInvitation(
  t: TestApp,
  accountId: number,
  roles: AccountRole[],
  invitedById: number | null = null,
): Promise<TestInvitation> {
  const token = randomSecret('acs_inv_');
  const now = t.clock.now();
  return t.db.transaction(async (em) => {
    const user = await t.app
      .get(UsersService)
      .create(em, { email: uniqueEmail('invited'), passwordHash: null, status: 'invited' });
    await em.getRepository(Membership).insert({ accountId, userId: user.id, roles, status: 'invited' });
    const invitations = em.getRepository(Invitation);
    const invitation = await invitations.save(
      invitations.create({
        accountId,
        email: user.email,
        roles,
        userId: user.id,
        invitedById,
        tokenHash: sha256Hex(token),
        status: 'pending',
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
        sendCount: 1,
      }),
    );
    return { invitation, user, token };
  });
}

/** The membership row of a user in an account, or undefined. */
export async function membershipOf(
  t: TestApp,
  accountId: number,
  userId: number,
): Promise<{ roles: AccountRole[]; status: MembershipStatus } | undefined> {
  const [row] = await t.db.query(`SELECT roles, status FROM memberships WHERE account_id = $1 AND user_id = $2`, [accountId, userId]);
  return row;
}

/** An API token of `userId`, limited to `accountId` (or unlimited with null); the answer carries the secret. */
export async function createApiToken(t: TestApp, userId: number, accountId: number | null, name = 'test token'): Promise<CreatedTokenDto> {
  const tokens = t.app.get(TokensService);
  return t.db.transaction((em) => tokens.issue(em, { userId, accountId, name }));
}

/** A webhook of the account (the secret sealed as the service seals it). */
export async function createWebhook(t: TestApp, accountId: number, url = 'https://hooks.example.test/accounts', events = ['*']): Promise<Webhook> {
  const webhooks = t.db.getRepository(Webhook);
  return webhooks.save(webhooks.create({ accountId, url, events, secretSealed: t.app.get(SecretBox).seal(randomSecret('whsec_')) }));
}
