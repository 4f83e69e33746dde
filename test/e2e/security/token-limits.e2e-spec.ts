import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAccount, createMember, createPlatformAdmin, type TestUser } from '../../factories/account.factory.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';
import { databaseFingerprint } from '../../setup/fingerprint.js';

/**
 * Issue 5, scoped and restricted API tokens, beyond tokens.e2e-spec.ts (which proves that a scoped
 * token cannot mint an unscoped one and that a read-only token cannot update an account): a token
 * never mints a token broader than itself (another account, no scope, a wider IP allowlist, a
 * longer life), a read-only token mints none and writes nothing, and what a token may mint works.
 */
describe('tokens minted by API tokens', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  async function mint(bearer: string, body: Record<string, unknown> = {}) {
    return t.http.post('/api/tokens', { name: 'child', ...body }, bearer);
  }

  async function parent(owner: TestUser, body: Record<string, unknown>): Promise<{ id: string; token: string }> {
    const res = await mint(owner.token, body);
    if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Each request answers 403 UNAUTHORIZED and no row of any table changes. */
  async function refused(requests: [string, () => Promise<{ status: number; body: { code?: string } }>][]): Promise<void> {
    const before = await databaseFingerprint(t.db);
    const answers = [];
    for (const [label, send] of requests) {
      const res = await send();
      answers.push([label, res.status, res.body.code]);
    }
    expect(answers).toEqual(requests.map(([label]) => [label, 403, 'UNAUTHORIZED']));
    expect(await databaseFingerprint(t.db)).toEqual(before);
  }

  it('a read-only token mints no token, not even a read-only one, and writes nothing', async () => {
    const { account, owner } = await createAccount(t);
    const admin = await createPlatformAdmin(t);
    const readOnly = await parent(owner, { restrictions: { readOnly: true } });
    const adminReadOnly = await parent(admin, { restrictions: { readOnly: true } });
    expect((await t.http.get('/api/tokens', readOnly.token)).status).toBe(200); // control: it reads
    await refused([
      ['unscoped token', () => mint(readOnly.token)],
      ['read-only token', () => mint(readOnly.token, { restrictions: { readOnly: true } })],
      ['token scoped to its account', () => mint(readOnly.token, { accountId: account.id, restrictions: { readOnly: true } })],
      ["an administrator's token for another user", () => t.http.post(`/api/users/${owner.user.id}/tokens`, { name: 'x' }, adminReadOnly.token)],
      ['revoking itself', () => t.http.delete(`/api/tokens/${readOnly.id}`, readOnly.token)],
      ['renaming its user', () => t.http.patch('/api/users/me', { firstName: 'Changed' }, readOnly.token)],
      ['changing the password', () => t.http.post('/api/users/me/password', { currentPassword: owner.password, newPassword: 'another-long-passphrase' }, readOnly.token)],
      ['creating an account', () => t.http.post('/api/accounts', { name: `Read-only ${Date.now()}` }, readOnly.token)],
      ['deleting the account', () => t.http.delete(`/api/accounts/${account.id}`, readOnly.token)],
      ['inviting a member', () => t.http.post(`/api/accounts/${account.id}/users`, { email: 'ro@example.test', roles: ['user'] }, readOnly.token)],
    ]);
  });

  it('a scoped token mints only tokens scoped to its own account, which stay inside it', async () => {
    const { account, owner } = await createAccount(t);
    const { account: other } = await createAccount(t, { owner });
    const admin = await createPlatformAdmin(t);
    const { account: adminAccount } = await createAccount(t, { owner: admin });
    const scoped = await parent(owner, { accountId: account.id });
    const adminScoped = await parent(admin, { accountId: adminAccount.id });
    await refused([
      ["another account of the same owner", () => mint(scoped.token, { accountId: other.id })],
      ['no account (unscoped)', () => mint(scoped.token)],
      ["an administrator's scoped token: a user's unscoped token", () => t.http.post(`/api/users/${owner.user.id}/tokens`, { name: 'x' }, adminScoped.token)],
      ["an administrator's scoped token: a user's token for another account", () => t.http.post(`/api/users/${owner.user.id}/tokens`, { name: 'x', accountId: account.id }, adminScoped.token)],
      ['a new account (outside its account by definition)', () => t.http.post('/api/accounts', { name: `Scoped ${Date.now()}` }, scoped.token)],
    ]);
    // What it may mint: a token for the same account, limited to it in turn.
    const child = await mint(scoped.token, { accountId: account.id });
    expect([child.status, child.body.accountId]).toEqual([201, account.id]);
    expect((await t.http.get(`/api/accounts/${account.id}`, child.body.token)).status).toBe(200);
    const outside = await t.http.get(`/api/accounts/${other.id}`, child.body.token);
    expect([outside.status, outside.body.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    const grandchild = await mint(child.body.token, { accountId: other.id });
    expect([grandchild.status, grandchild.body.code]).toEqual([403, 'UNAUTHORIZED']);
  });

  it('a token with an IP allowlist mints only tokens inside that allowlist', async () => {
    const owner = await createMember(t);
    const limited = await parent(owner, { restrictions: { ipAllowlist: ['127.0.0.0/8', '10.1.0.0/16'] } });
    await refused([
      ['no allowlist', () => mint(limited.token)],
      ['restrictions without an allowlist', () => mint(limited.token, { restrictions: { readOnly: true } })],
      ['a wider block', () => mint(limited.token, { restrictions: { ipAllowlist: ['127.0.0.0/7'] } })],
      ['everywhere', () => mint(limited.token, { restrictions: { ipAllowlist: ['0.0.0.0/0', '::/0'] } })],
      ['another block', () => mint(limited.token, { restrictions: { ipAllowlist: ['192.168.0.0/16'] } })],
      ['one block inside and one outside', () => mint(limited.token, { restrictions: { ipAllowlist: ['127.0.0.1/32', '10.2.0.0/16'] } })],
      ['an IPv6 block', () => mint(limited.token, { restrictions: { ipAllowlist: ['::1/128'] } })],
    ]);
    const narrower = await mint(limited.token, { restrictions: { ipAllowlist: ['127.0.0.1/32', '10.1.2.0/24'] } });
    expect([narrower.status, narrower.body.restrictions]).toEqual([201, { ipAllowlist: ['127.0.0.1/32', '10.1.2.0/24'] }]);
    expect((await t.http.get('/api/auth/me', narrower.body.token)).status).toBe(200);
    const same = await mint(limited.token, { restrictions: { ipAllowlist: ['127.0.0.0/8'], readOnly: true } });
    expect(same.status).toBe(201);
  });

  it('a token that expires mints only tokens that expire no later', async () => {
    const owner = await createMember(t);
    const now = t.clock.now().getTime();
    const at = (ms: number) => new Date(now + ms).toISOString();
    const expiring = await parent(owner, { expiresAt: at(3_600_000) });
    await refused([
      ['never expiring', () => mint(expiring.token)],
      ['expiring later', () => mint(expiring.token, { expiresAt: at(3_600_000 + 1_000) })],
      ['expiring in a year', () => mint(expiring.token, { expiresAt: at(365 * 86_400_000) })],
    ]);
    const sooner = await mint(expiring.token, { expiresAt: at(1_800_000) });
    expect(sooner.status).toBe(201);
    const same = await mint(expiring.token, { expiresAt: at(3_600_000) });
    expect(same.status).toBe(201);
    // Its children die with it (test clock): the last one lived exactly as long.
    t.clock.advance(3_600_000 + 1_000);
    expect((await t.http.get('/api/auth/me', same.body.token)).status).toBe(401);
  });
});
