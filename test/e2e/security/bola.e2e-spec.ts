import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createAccount,
  createAccountMember,
  createApiToken,
  createInvitation,
  createMember,
  createWebhook,
  type TestUser,
  tokenFor,
  uniqueAccountName,
} from '../../factories/account.factory.js';
import { uniqueEmail } from '../../factories/user.factory.js';
import { startSmtpServer, type TestSmtpServer } from '../../setup/smtp.js';
import { type Reply, startTestApp, type TestApp } from '../../setup/test-app.js';
import { databaseFingerprint } from '../../setup/fingerprint.js';
import { decodeJwt, fillPath, type OpenApiDocument, type Operation, operationsOf, sampleBody, type Schema } from './support.js';

/**
 * Issue 5, broken object-level authorization. Callers who are not (active) members of an account
 * sweep its id, and the ids of its members, invitations, API tokens, webhooks and sessions,
 * across every route of the app's own OpenAPI document that takes such an id: every answer is the
 * 404 of the right `*_NOT_FOUND` code, identical to the answer for an id that does not exist, never
 * 403 or 2xx, and the database does not change. A route whose path parameter the sweep does not
 * know fails the suite, so a new route is swept or noticed.
 */

/** The parameter of a path that names an account: `/api/accounts/{id}…`. */
const ACCOUNT_PATH = /^\/api\/accounts\/\{id\}/;
/** Sub-resource parameters of account routes, and the code of the 404 when the id is not the account's. */
const SUB_RESOURCES: Record<string, { fixture: Fixture; code: string }> = {
  userId: { fixture: 'member', code: 'USER_NOT_FOUND' },
  invitationId: { fixture: 'invitation', code: 'INVITATION_NOT_FOUND' },
  tokenId: { fixture: 'token', code: 'TOKEN_NOT_FOUND' },
  webhookId: { fixture: 'webhook', code: 'WEBHOOK_NOT_FOUND' },
};
/** Routes with an id outside any account: who may call them, and what anyone else gets. */
const OWN_RESOURCE_ROUTES: Record<string, { fixture: Fixture; expected: [number, string] }> = {
  '/api/tokens/{id}': { fixture: 'token', expected: [404, 'TOKEN_NOT_FOUND'] },
  '/api/auth/sessions/{id}': { fixture: 'session', expected: [404, 'SESSION_NOT_FOUND'] },
  // Platform administrators' routes: 403 for everyone else, whether or not the user exists.
  '/api/users/{id}': { fixture: 'member', expected: [403, 'UNAUTHORIZED'] },
  '/api/users/{id}/unlock': { fixture: 'member', expected: [403, 'UNAUTHORIZED'] },
  '/api/users/{id}/tokens': { fixture: 'member', expected: [403, 'UNAUTHORIZED'] },
};
/**
 * `POST /api/accounts/{id}/users/{userId}` ("Add Existing User to Account", seed 003) takes any
 * user id by design: on the caller's own account it is not an object of another account. It is
 * swept on the victim's account like every route.
 */
const ANY_USER_BY_DESIGN = new Set(['POST /api/accounts/{id}/users/{userId}']);

type Fixture = 'member' | 'invitation' | 'token' | 'webhook' | 'session';

interface Caller {
  label: string;
  token: string;
  userId: number;
}

describe('object-level authorization (BOLA)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let operations: Operation[];
  /** The victim's account and its objects. */
  let victim: { accountId: number; name: string; owner: TestUser; ids: Record<Fixture, string> };
  /** Other accounts the callers may not see: disabled, one where the caller's membership is disabled. */
  let otherAccounts: number[];
  /** The attacker's own account, where they are owner, and its objects. */
  let own: { accountId: number; ids: Record<Fixture, string> };
  const attackers: Caller[] = [];
  let ownerCallers: Caller[];
  let swept = 0;
  const sweptIds = new Set<string>();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50' });

    victim = await accountWithObjects('Victim');
    const disabled = await createAccount(t, { fields: { name: uniqueAccountName('Disabled') } });
    await t.db.query(`UPDATE accounts SET status = 'disabled' WHERE id = $1`, [disabled.account.id]);

    const attacker = await createMember(t, { email: uniqueEmail('attacker') });
    const mine = await accountWithObjects('Attacker', attacker);
    own = { accountId: mine.accountId, ids: mine.ids };
    // A former member: disabled memberships in the victim's account (as owner) and in another one.
    const former = await createAccount(t, { fields: { name: uniqueAccountName('Former') } });
    const formerMember = await createAccountMember(t, former.account.id, ['admin'], 'disabled');
    await t.db.query(`INSERT INTO memberships (account_id, user_id, roles, status) VALUES ($1, $2, '{owner}', 'disabled')`, [victim.accountId, formerMember.user.id]);
    otherAccounts = [disabled.account.id, former.account.id];

    const stranger = await createMember(t, { email: uniqueEmail('stranger') });
    const apiToken = await createApiToken(t, attacker.user.id, null, 'attacker unscoped');
    const scoped = await createApiToken(t, attacker.user.id, own.accountId, 'attacker scoped');
    const invitedOnly = await createMember(t, { email: uniqueEmail('invited-member') });
    await t.db.query(`INSERT INTO memberships (account_id, user_id, roles, status) VALUES ($1, $2, '{admin}', 'invited')`, [victim.accountId, invitedOnly.user.id]);
    attackers.push(
      { label: 'former member, memberships disabled (JWT)', token: formerMember.token, userId: formerMember.user.id },
      { label: 'user without accounts (JWT)', token: stranger.token, userId: stranger.user.id },
      { label: 'owner of another account (JWT)', token: attacker.token, userId: attacker.user.id },
      { label: 'owner of another account (API token)', token: apiToken.token, userId: attacker.user.id },
      { label: 'owner of another account (API token scoped to it)', token: scoped.token, userId: attacker.user.id },
      { label: 'pending invitee of the account (JWT)', token: invitedOnly.token, userId: invitedOnly.user.id },
    );
    ownerCallers = attackers.filter((a) => a.label.startsWith('owner of another account'));

    operations = operationsOf((await t.http.get<OpenApiDocument>('/docs-json')).body);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /** An account with a member, a pending invitation, an API token scoped to it, a webhook and audit events. */
  async function accountWithObjects(label: string, owner?: TestUser) {
    const name = uniqueAccountName(label);
    const { account, owner: theOwner } = await createAccount(t, { owner, fields: { name } });
    const member = await createAccountMember(t, account.id, ['user']);
    const invitation = await createInvitation(t, account.id, ['viewer'], theOwner.user.id);
    const token = await createApiToken(t, theOwner.user.id, account.id, `${label} token`);
    const webhook = await createWebhook(t, account.id);
    // An audit event of the account, through the API.
    expect((await t.http.put(`/api/accounts/${account.id}`, { description: `${label} account` }, theOwner.token)).status).toBe(200);
    const ids: Record<Fixture, string> = {
      member: String(member.user.id),
      invitation: String(invitation.invitation.id),
      token: token.id,
      webhook: webhook.id,
      session: String(decodeJwt(theOwner.token).claims.sid),
    };
    return { accountId: account.id, name, owner: theOwner, ids };
  }

  function bodyFor(op: Operation): Record<string, unknown> | undefined {
    if (!op.body) return undefined;
    return sampleBody(op.body, {
      email: () => uniqueEmail('bola'),
      name: () => uniqueAccountName('Bola'),
      userId: () => Number(victim.ids.member),
      roles: () => ['owner'],
      url: () => 'https://hooks.example.test/bola',
      status: (s: Schema) => s.enum?.[0],
    });
  }

  async function call(caller: Caller, op: Operation, path: string): Promise<Reply> {
    swept += 1;
    return t.http.request(op.method, path, bodyFor(op), { token: caller.token });
  }

  it('classifies every path parameter of the document, so that no route with an id escapes the sweep', () => {
    const unknown = operations.flatMap((op) =>
      op.pathParams
        .filter(({ name }) => !(ACCOUNT_PATH.test(op.path) && (name === 'id' || name in SUB_RESOURCES)) && !(op.path in OWN_RESOURCE_ROUTES))
        .map(({ name }) => `${op.method} ${op.path} {${name}}`),
    );
    expect(unknown).toEqual([]);
    expect(operations.filter((op) => ACCOUNT_PATH.test(op.path)).length).toBeGreaterThanOrEqual(20);
  });

  it("answers 404 ACCOUNT_NOT_FOUND on every account route for every account id the caller cannot see, exactly as for an id that does not exist", async () => {
    const accountOps = operations.filter((op) => ACCOUNT_PATH.test(op.path));
    const [{ max }] = await t.db.query(`SELECT max(id)::int AS max FROM accounts`);
    const nowhere = max + 1;
    const before = await databaseFingerprint(t.db);
    const wrong: string[] = [];
    let accountIds = 0;
    for (const caller of attackers) {
      // Every account of the database the caller is not an active member of, and ids of none.
      const hidden: { id: number }[] = await t.db.query(
        `SELECT id FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = a.id AND m.user_id = $1 AND m.status = 'active') ORDER BY id`,
        [caller.userId],
      );
      const sweep = [...hidden.map((row) => row.id), max + 2, max + 1000, 2_147_483_647];
      expect(sweep).toContain(victim.accountId);
      accountIds += sweep.length;
      for (const op of accountOps) {
        const subIds = Object.fromEntries(op.pathParams.filter((p) => p.name !== 'id').map((p) => [p.name, victim.ids[SUB_RESOURCES[p.name].fixture]]));
        for (const [name, id] of Object.entries(subIds)) sweptIds.add(`${SUB_RESOURCES[name].fixture} ${id}`);
        const reference = await call(caller, op, fillPath(op.path, { id: String(nowhere), ...subIds }));
        const expected = JSON.stringify(reference.body);
        if (reference.status !== 404 || reference.body.code !== 'ACCOUNT_NOT_FOUND') wrong.push(`${caller.label}: ${op.method} ${op.path} (no such account) -> ${reference.status} ${expected}`);
        for (const accountId of sweep) {
          sweptIds.add(`account ${accountId}`);
          const path = fillPath(op.path, { id: String(accountId), ...subIds });
          const res = await call(caller, op, path);
          if (res.status !== 404 || JSON.stringify(res.body) !== expected) wrong.push(`${caller.label}: ${op.method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
      // The name form of GET /api/accounts/{id} too.
      const byName = await t.http.get(`/api/accounts/${encodeURIComponent(victim.name.toUpperCase())}`, caller.token);
      swept += 1;
      if (byName.status !== 404 || byName.body.code !== 'ACCOUNT_NOT_FOUND') wrong.push(`${caller.label}: GET by name -> ${byName.status} ${JSON.stringify(byName.body)}`);
    }
    expect(wrong).toEqual([]);
    expect(await databaseFingerprint(t.db)).toEqual(before);
    console.info(`BOLA sweep of account routes: ${accountOps.length} operations, ${attackers.length} callers, ${accountIds} (caller, account id) pairs`);
  });

  it("answers the sub-resource's 404 on the caller's own account for the victim's member, invitation, token and webhook ids", async () => {
    const subOps = operations.filter(
      (op) => ACCOUNT_PATH.test(op.path) && op.pathParams.some((p) => p.name in SUB_RESOURCES) && !ANY_USER_BY_DESIGN.has(`${op.method} ${op.path}`),
    );
    expect(subOps.length).toBeGreaterThanOrEqual(10);
    const before = await databaseFingerprint(t.db);
    const answers: string[] = [];
    const expected: string[] = [];
    for (const caller of ownerCallers) {
      for (const op of subOps) {
        const param = op.pathParams.find((p) => p.name in SUB_RESOURCES)!;
        const { fixture, code } = SUB_RESOURCES[param.name];
        // Control first: the caller's own object answers (not 404), so the route and the guard let them through.
        const ownPath = fillPath(op.path, { id: String(own.accountId), [param.name]: own.ids[fixture] });
        if (op.method === 'GET') {
          const control = await call(caller, op, ownPath);
          if (control.status !== 200) answers.push(`control ${caller.label}: GET ${ownPath} -> ${control.status}`);
        }
        const path = fillPath(op.path, { id: String(own.accountId), [param.name]: victim.ids[fixture] });
        sweptIds.add(`${fixture} ${victim.ids[fixture]}`);
        const res = await call(caller, op, path);
        answers.push(`${caller.label}: ${op.method} ${op.path} -> ${res.status} ${res.body?.code}`);
        expected.push(`${caller.label}: ${op.method} ${op.path} -> 404 ${code}`);
      }
    }
    expect(answers).toEqual(expected);
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("answers 404 for another user's API token and session, 403 on administrators' user routes whether or not the user exists", async () => {
    const ownRoutes = operations.filter((op) => op.path in OWN_RESOURCE_ROUTES);
    expect(ownRoutes.length).toBeGreaterThanOrEqual(7);
    const before = await databaseFingerprint(t.db);
    const answers: string[] = [];
    const expected: string[] = [];
    for (const caller of attackers) {
      for (const op of ownRoutes) {
        const { fixture, expected: [status, code] } = OWN_RESOURCE_ROUTES[op.path];
        const res = await call(caller, op, fillPath(op.path, { id: victim.ids[fixture] }));
        sweptIds.add(`${fixture} ${victim.ids[fixture]}`);
        answers.push(`${caller.label}: ${op.method} ${op.path} -> ${res.status} ${res.body?.code}`);
        expected.push(`${caller.label}: ${op.method} ${op.path} -> ${status} ${code}`);
        if (fixture === 'member' && status === 403) {
          // The same answer for a user that does not exist: existence does not leak.
          const none = await call(caller, op, fillPath(op.path, { id: '2147483647' }));
          answers.push(`${caller.label}: ${op.method} ${op.path} (no such user) -> ${none.status} ${JSON.stringify(none.body) === JSON.stringify(res.body)}`);
          expected.push(`${caller.label}: ${op.method} ${op.path} (no such user) -> ${status} true`);
        }
      }
    }
    expect(answers).toEqual(expected);
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("never lets an id in a body or a list query reach another account's objects", async () => {
    const caller = ownerCallers[0];
    const before = await databaseFingerprint(t.db);
    const victimMember = Number(victim.ids.member);
    const outcomes = [
      ['transfer ownership to their member', await t.http.post(`/api/accounts/${own.accountId}/transfer-ownership`, { userId: victimMember }, caller.token), 404, 'USER_NOT_FOUND'],
      ['a token scoped to their account', await t.http.post('/api/tokens', { name: 'x', accountId: victim.accountId }, caller.token), 404, 'ACCOUNT_NOT_FOUND'],
      ['a token scoped to a disabled account', await t.http.post('/api/tokens', { name: 'x', accountId: otherAccounts[0] }, caller.token), 404, 'ACCOUNT_NOT_FOUND'],
      ['all audit events', await t.http.get('/api/audit-events', caller.token), 403, 'UNAUTHORIZED'],
      ['all users', await t.http.get('/api/users', caller.token), 403, 'UNAUTHORIZED'],
    ].map(([label, res, status, code]) => [label, (res as Reply).status, (res as Reply).body.code, status, code]);
    expect(outcomes.map(([label, status, code]) => [label, status, code])).toEqual(outcomes.map(([label, , , status, code]) => [label, status, code]));

    // Lists filtered towards the victim's objects show none of them.
    const q = (filter: string) => `?$filter=${encodeURIComponent(filter)}`;
    const lists = {
      accounts: await t.http.get(`/api/accounts${q(`id eq ${victim.accountId} or name eq '${victim.name.replace(/'/g, "''")}'`)}`, caller.token),
      members: await t.http.get(`/api/accounts/${own.accountId}/users${q(`id eq ${victimMember}`)}`, caller.token),
      invitations: await t.http.get(`/api/accounts/${own.accountId}/invitations${q(`id eq ${victim.ids.invitation}`)}`, caller.token),
      auditByAccount: await t.http.get(`/api/accounts/${own.accountId}/audit-events${q(`accountId eq ${victim.accountId}`)}`, caller.token),
    };
    expect(Object.fromEntries(Object.entries(lists).map(([k, res]) => [k, [res.status, res.body.count, res.body.value]]))).toEqual({
      accounts: [200, 0, []],
      members: [200, 0, []],
      invitations: [200, 0, []],
      auditByAccount: [200, 0, []],
    });
    const ownTokens = await t.http.get(`/api/accounts/${own.accountId}/tokens`, caller.token);
    expect(ownTokens.body.value.map((x: { id: string }) => x.id)).not.toContain(victim.ids.token);
    const myTokens = await t.http.get('/api/tokens', caller.token);
    expect(myTokens.body.value.map((x: { id: string }) => x.id)).not.toContain(victim.ids.token);
    const webhooks = await t.http.get(`/api/accounts/${own.accountId}/webhooks`, caller.token);
    expect(webhooks.body.value.map((x: { id: string }) => x.id)).toEqual([own.ids.webhook]);
    const audit = await t.http.get(`/api/accounts/${own.accountId}/audit-events?$top=100`, caller.token);
    expect(audit.status).toBe(200);
    expect(audit.body.value.filter((e: { accountId: number }) => e.accountId !== own.accountId)).toEqual([]);
    expect(await databaseFingerprint(t.db)).toEqual(before);
  });

  it("leaves every victim's object in place and working (the sweep's ids were live)", async () => {
    const owner = await tokenFor(t, victim.owner.user);
    const a = victim.accountId;
    const checks = [
      [`GET /api/accounts/${a}`, (await t.http.get(`/api/accounts/${a}`, owner)).status],
      ['member listed', (await t.http.get(`/api/accounts/${a}/users`, owner)).body.value.some((m: { id: number }) => String(m.id) === victim.ids.member)],
      ['invitation pending', (await t.http.get(`/api/accounts/${a}/invitations`, owner)).body.value.some((i: { id: number; status: string }) => String(i.id) === victim.ids.invitation && i.status === 'pending')],
      ['token live', (await t.http.get(`/api/tokens/${victim.ids.token}`, owner)).body.revokedAt],
      ['webhook there', (await t.http.get(`/api/accounts/${a}/webhooks/${victim.ids.webhook}`, owner)).status],
      ['session live', (await t.http.get('/api/auth/me', victim.owner.token)).status],
      ['audit events', (await t.http.get(`/api/accounts/${a}/audit-events`, owner)).body.count > 0],
    ];
    expect(checks).toEqual([
      [`GET /api/accounts/${a}`, 200],
      ['member listed', true],
      ['invitation pending', true],
      ['token live', null],
      ['webhook there', 200],
      ['session live', 200],
      ['audit events', true],
    ]);
    console.info(`BOLA sweep: ${swept} requests over ${sweptIds.size} distinct ids (${[...sweptIds].sort().join(', ')})`);
  });
});
