import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { createPublicKey, generateKeyPairSync, createHmac } from 'node:crypto';
import { createAccount, createAccountMember, createMember, createPlatformAdmin, type TestUser, tokenFor } from '../factories/account.factory.js';
import { createTestDatabase } from '../setup/database.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../setup/test-app.js';
import { waitFor } from '../setup/eventually.js';

describe('API tokens', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createPlatformAdmin(t);
  });

  afterAll(async () => {
    await t.close();
  });

  const mint = async (owner: TestUser, body: Record<string, unknown> = {}) => {
    const res = await t.http.post('/api/tokens', { name: 'ci', ...body }, owner.token);
    if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; token: string; accountId: number | null };
  };

  it('shows the secret once: not in lists, not by id, and stored only as its SHA-256', async () => {
    const me = await createMember(t);
    const created = await t.http.post('/api/tokens', { name: 'deploys' }, me.token);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'deploys',
      userId: me.user.id,
      accountId: null,
      hint: created.body.token.slice(-4),
      token: expect.stringMatching(/^acs_pat_[0-9A-Za-z]{36}$/),
      createdAt: expect.any(String),
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
      restrictions: null,
    });
    const secret: string = created.body.token;
    const list = await t.http.get('/api/tokens', me.token);
    const one = await t.http.get(`/api/tokens/${created.body.id}`, me.token);
    expect(list.body.count).toBe(1);
    for (const body of [list.body, one.body]) expect(JSON.stringify(body)).not.toContain(secret.slice(8, 30));
    const rows = await t.db.query(`SELECT * FROM api_tokens WHERE id = $1`, [created.body.id]);
    expect(JSON.stringify(rows)).not.toContain(secret.slice(8, 30));
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const audit = await t.db.query(`SELECT * FROM audit_events WHERE target_id = $1`, [created.body.id]);
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(8, 30));
  });

  it('lists with OData: filter, order, pages and a count of all matches; an unknown or secret field is INVALID_FILTER', async () => {
    const me = await createMember(t);
    const [a, b, c] = [await mint(me, { name: 'alpha' }), await mint(me, { name: 'beta' }), await mint(me, { name: 'gamma' })];
    expect((await t.http.delete(`/api/tokens/${b.id}`, me.token)).status).toBe(200);
    const q = (query: Record<string, string>) => `/api/tokens?${new URLSearchParams(query)}`;

    const live = await t.http.get(q({ $filter: 'revokedAt eq null', $orderby: 'name desc', $top: '1' }), me.token);
    expect(live.status).toBe(200);
    expect({ count: live.body.count, ids: live.body.value.map((x: { id: string }) => x.id) }).toEqual({ count: 2, ids: [c.id] });
    const next = await t.http.get(q({ $filter: 'revokedAt eq null', $orderby: 'name desc', $top: '1', $skip: '1' }), me.token);
    expect(next.body.value.map((x: { id: string }) => x.id)).toEqual([a.id]);
    const named = await t.http.get(q({ $filter: "startswith(name, 'be')" }), me.token);
    expect(named.body).toMatchObject({ count: 1, value: [{ id: b.id, revokedAt: expect.any(String) }] });

    for (const filter of ['secretHash eq null', 'bogus eq 1', "name eq 'unterminated"]) {
      const res = await t.http.get(q({ $filter: filter }), me.token);
      expect({ filter, status: res.status, code: res.body.code }).toEqual({ filter, status: 400, code: 'INVALID_FILTER' });
    }
  });

  it('authenticates as its user, and a revoked token fails on the next request', async () => {
    const me = await createMember(t);
    const { id, token } = await mint(me);
    expect((await t.http.get('/api/auth/me', token)).body.id).toBe(me.user.id);
    expect((await t.http.delete(`/api/tokens/${id}`, me.token)).body).toEqual({ success: true, message: 'Token revoked' });
    const res = await t.http.get('/api/auth/me', token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token with a mistyped character (bad checksum) and an unknown well-formed one', async () => {
    const me = await createMember(t);
    const { token } = await mint(me);
    const last = token.at(-1) === 'a' ? 'b' : 'a';
    for (const bad of [token.slice(0, -1) + last, `${token}x`, 'acs_pat_short']) {
      const res = await t.http.get('/api/auth/me', bad);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    }
  });

  it('answers 404 TOKEN_NOT_FOUND for another user\'s token and leaves it working', async () => {
    const me = await createMember(t);
    const other = await createMember(t);
    const theirs = await mint(other);
    expect((await t.http.get(`/api/tokens/${theirs.id}`, me.token)).body.code).toBe('TOKEN_NOT_FOUND');
    expect((await t.http.delete(`/api/tokens/${theirs.id}`, me.token)).status).toBe(404);
    expect((await t.http.get('/api/auth/me', theirs.token)).status).toBe(200);
  });

  it('limits a scoped token to its account: another account answers 404', async () => {
    const { account: mine, owner } = await createAccount(t);
    const { account: other } = await createAccount(t, { owner });
    const scoped = await mint(owner, { accountId: mine.id });
    expect((await t.http.get(`/api/accounts/${mine.id}`, scoped.token)).status).toBe(200);
    const res = await t.http.get(`/api/accounts/${other.id}`, scoped.token);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ACCOUNT_NOT_FOUND');
    const list = await t.http.get('/api/accounts', scoped.token);
    expect(list.body.value.map((a: { id: number }) => a.id)).toEqual([mine.id]);
    // ...and cannot mint a broader token.
    const broader = await t.http.post('/api/tokens', { name: 'wider' }, scoped.token);
    expect(broader.status).toBe(403);
    expect(broader.body.code).toBe('UNAUTHORIZED');
  });

  it('needs the user role to scope a token to an account', async () => {
    const { account } = await createAccount(t);
    const viewer = await createAccountMember(t, account.id, ['viewer']);
    const stranger = await createMember(t);
    expect((await t.http.post('/api/tokens', { name: 'x', accountId: account.id }, viewer.token)).body.code).toBe('UNAUTHORIZED');
    expect((await t.http.post('/api/tokens', { name: 'x', accountId: account.id }, stranger.token)).body.code).toBe('ACCOUNT_NOT_FOUND');
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM api_tokens WHERE account_id = $1`, [account.id]);
    expect(count).toBe(0);
  });

  it('refuses writes with a read-only token (403) and lets reads through', async () => {
    const { account, owner } = await createAccount(t);
    const readOnly = await mint(owner, { restrictions: { readOnly: true } });
    expect((await t.http.get(`/api/accounts/${account.id}`, readOnly.token)).status).toBe(200);
    const res = await t.http.put(`/api/accounts/${account.id}`, { description: 'changed' }, readOnly.token);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('UNAUTHORIZED');
    const [row] = await t.db.query(`SELECT description FROM accounts WHERE id = $1`, [account.id]);
    expect(row.description).toBeNull();
  });

  it('checks the IP allowlist against the socket address', async () => {
    const me = await createMember(t);
    const local = await mint(me, { restrictions: { ipAllowlist: ['127.0.0.0/8'] } });
    const elsewhere = await mint(me, { restrictions: { ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] } });
    expect((await t.http.get('/api/auth/me', local.token)).status).toBe(200);
    expect((await t.http.get('/api/auth/me', elsewhere.token)).status).toBe(401);
    const spoofed = await t.http.request('GET', '/api/auth/me', undefined, { token: elsewhere.token, headers: { 'x-forwarded-for': '10.1.2.3' } });
    expect(spoofed.status).toBe(401);
    const bad = await t.http.post('/api/tokens', { name: 'x', restrictions: { ipAllowlist: ['10.0.0.0/33'] } }, me.token);
    expect(bad.status).toBe(400);
  });

  it('expires at expiresAt (test clock)', async () => {
    const me = await createMember(t);
    const expiresAt = new Date(t.clock.now().getTime() + 3600_000).toISOString();
    const { token } = await mint(me, { expiresAt });
    expect((await t.http.get('/api/auth/me', token)).status).toBe(200);
    t.clock.advance(3601_000);
    expect((await t.http.get('/api/auth/me', token)).status).toBe(401);
    const past = await t.http.post('/api/tokens', { name: 'x', expiresAt: new Date(t.clock.now().getTime() - 1000).toISOString() }, await freshToken(me));
    expect(past.status).toBe(400);
  });

  it('writes lastUsedAt at most once a minute', async () => {
    const me = await createMember(t);
    const { id, token } = await mint(me);
    const lastUsed = async () => (await t.db.query(`SELECT last_used_at FROM api_tokens WHERE id = $1`, [id]))[0].last_used_at as Date | null;
    await t.http.get('/api/auth/me', token);
    await waitFor(async () => (await lastUsed()) !== null);
    const first = (await lastUsed())!.getTime();
    for (let i = 0; i < 5; i++) await t.http.get('/api/auth/me', token);
    expect((await lastUsed())!.getTime()).toBe(first);
    t.clock.advance(61_000);
    await t.http.get('/api/auth/me', token);
    await waitFor(async () => (await lastUsed())!.getTime() > first);
  });

  it('platform admins create tokens for a user; others get 403', async () => {
    const target = await createMember(t);
    const res = await t.http.post(`/api/users/${target.user.id}/tokens`, { name: 'Default' }, await freshToken(admin));
    expect(res.status).toBe(201);
    expect(res.body.userId).toBe(target.user.id);
    expect((await t.http.get('/api/auth/me', res.body.token)).body.id).toBe(target.user.id);
    const denied = await t.http.post(`/api/users/${target.user.id}/tokens`, { name: 'x' }, target.token);
    expect(denied.status).toBe(403);
  });

  it("lists and revokes an account's tokens for its managers only", async () => {
    const { account, owner } = await createAccount(t);
    const viewer = await createAccountMember(t, account.id, ['viewer']);
    const scoped = await mint(owner, { accountId: account.id });
    const list = await t.http.get(`/api/accounts/${account.id}/tokens`, owner.token);
    expect(list.body.value.map((x: { id: string }) => x.id)).toEqual([scoped.id]);
    expect((await t.http.get(`/api/accounts/${account.id}/tokens`, viewer.token)).status).toBe(403);
    expect((await t.http.delete(`/api/accounts/${account.id}/tokens/${scoped.id}`, owner.token)).status).toBe(200);
    expect((await t.http.get('/api/auth/me', scoped.token)).status).toBe(401);
  });

  describe('introspection', () => {
    it('describes live tokens and answers {active: false} for dead or unknown ones', async () => {
      const adminToken = await freshToken(admin);
      const me = await createMember(t);
      const api = await mint(me);
      const live = await t.http.post('/api/tokens/introspect', { token: api.token }, adminToken);
      expect(live.status).toBe(200);
      expect(live.body).toMatchObject({ active: true, token_type: 'api_token', sub: String(me.user.id), jti: api.id, account_id: null });
      const access = await t.http.post('/api/tokens/introspect', { token: me.token }, adminToken);
      expect(access.body).toMatchObject({ active: true, token_type: 'access_token', sub: String(me.user.id), exp: expect.any(Number) });

      await t.http.delete(`/api/tokens/${api.id}`, me.token);
      expect((await t.http.post('/api/tokens/introspect', { token: api.token }, adminToken)).body).toEqual({ active: false });
      await t.db.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [me.user.id]);
      expect((await t.http.post('/api/tokens/introspect', { token: me.token }, adminToken)).body).toEqual({ active: false });
      for (const token of ['garbage', 'acs_pat_nope', 'acs_rt_xyz']) {
        expect((await t.http.post('/api/tokens/introspect', { token }, adminToken)).body).toEqual({ active: false });
      }
    });

    it('is for platform administrators only', async () => {
      const me = await createMember(t);
      const res = await t.http.post('/api/tokens/introspect', { token: me.token }, me.token);
      expect(res.status).toBe(403);
    });
  });

  describe('forged access tokens', () => {
    it('refuses alg none, a foreign key, a kid, embedded keys and a wrong typ', async () => {
      const me = await createMember(t);
      const claims = jwt.decode(me.token) as Record<string, unknown>;
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const hs = (header: Record<string, unknown>, secret = TEST_JWT_SECRET) => {
        const input = `${b64(header)}.${b64(claims)}`;
        return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      };
      const forged = [
        `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`,
        `${b64({ alg: 'NONE', typ: 'at+jwt' })}.${b64(claims)}.`,
        hs({ alg: 'HS256', typ: 'at+jwt' }, 'another-secret-that-is-long-enough!!'),
        hs({ alg: 'HS256', typ: 'at+jwt', kid: 'other' }),
        hs({ alg: 'HS256', typ: 'at+jwt', jku: 'https://attacker.example/jwks.json' }),
        hs({ alg: 'HS256', typ: 'at+jwt', jwk: { kty: 'oct', k: 'AAAA' } }),
        hs({ alg: 'HS256', typ: 'JWT' }),
        hs({ alg: 'HS512', typ: 'at+jwt' }),
      ];
      expect((await t.http.get('/api/auth/me', hs({ alg: 'HS256', typ: 'at+jwt' }))).status).toBe(200); // the control
      for (const token of forged) {
        const res = await t.http.get('/api/auth/me', token);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('UNAUTHENTICATED');
      }
    });
  });

  async function freshToken(user: TestUser): Promise<string> {
    const login = await t.http.post('/api/auth/login', { email: user.user.email, password: user.password });
    return login.body.accessToken;
  }
});

describe('ES256 access tokens and the JWKS', () => {
  let t: TestApp;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    t = await startTestApp({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
  });

  afterAll(async () => {
    await t.close();
  });

  it('publishes only the public key, and another service verifies tokens with it', async () => {
    const jwks = await t.http.get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toHaveLength(1);
    const [key] = jwks.body.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
    expect(key).not.toHaveProperty('d');

    const me = await createMember(t);
    const publicKey = createPublicKey({ key, format: 'jwk' });
    const verified = jwt.verify(me.token, publicKey, { algorithms: ['ES256'], complete: true });
    expect(verified.header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
    expect((await t.http.get('/api/auth/me', me.token)).status).toBe(200);
  });

  it('rotates keys: the previous public key stays published and accepted, and without it old tokens fail', async () => {
    // One database, three deployments one after the other (the embedded database takes one app at a time).
    const database = await createTestDatabase();
    const pem = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const [oldPrivate, newPrivate] = [pem(), pem()];
    const es256 = (env: Record<string, string>) => startTestApp({ JWT_ALGORITHM: 'ES256', ...env }, database);
    try {
      const before = await es256({ JWT_PRIVATE_KEY: oldPrivate });
      const me = await createMember(before);
      const [oldKey] = (await before.http.get('/.well-known/jwks.json')).body.keys;
      await before.close();

      const oldPublic = createPublicKey(oldPrivate).export({ format: 'pem', type: 'spki' }).toString();
      const rotating = await es256({ JWT_PRIVATE_KEY: newPrivate, JWT_PREVIOUS_PUBLIC_KEYS: oldPublic });
      const jwks = (await rotating.http.get('/.well-known/jwks.json')).body.keys;
      const fresh = await tokenFor(rotating, me.user);
      const during = [await rotating.http.get('/api/auth/me', me.token), await rotating.http.get('/api/auth/me', fresh)];
      await rotating.close();
      expect(jwks.map((k: { kid: string }) => k.kid)).toEqual([expect.any(String), oldKey.kid]);
      expect(jwks[0].kid).not.toBe(oldKey.kid);
      expect((jwt.decode(fresh, { complete: true }) as jwt.Jwt).header.kid).toBe(jwks[0].kid);
      expect(during.map((r) => r.status)).toEqual([200, 200]); // signed with the old key, and with the new

      const after = await es256({ JWT_PRIVATE_KEY: newPrivate });
      const afterJwks = (await after.http.get('/.well-known/jwks.json')).body.keys;
      const [old, current] = [await after.http.get('/api/auth/me', me.token), await after.http.get('/api/auth/me', fresh)];
      await after.close();
      expect(afterJwks).toEqual([jwks[0]]);
      expect([old.status, old.body.code]).toEqual([401, 'UNAUTHENTICATED']);
      expect(current.status).toBe(200);
    } finally {
      await database.drop();
    }
  });

  it('refuses HS256 tokens signed with the public key (algorithm confusion)', async () => {
    const me = await createMember(t);
    const [key] = (await t.http.get('/.well-known/jwks.json')).body.keys;
    const pem = createPublicKey({ key, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
    const claims = jwt.decode(me.token) as Record<string, unknown>;
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${b64(claims)}`;
    const confused = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    const res = await t.http.get('/api/auth/me', confused);
    expect(res.status).toBe(401);
  });
});

