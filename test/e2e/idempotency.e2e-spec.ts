import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLoggedInUser, DEFAULT_PASSWORD, uniqueEmail } from '../factories/user.factory.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';

describe('Idempotency-Key', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  const signupBody = () => {
    const email = uniqueEmail('idem');
    return { email, password: DEFAULT_PASSWORD, firstName: 'I', lastName: 'D', accountName: `Idem ${email}` };
  };
  const withKey = (key: string, body: unknown, token?: string) =>
    t.http.request('POST', body && (body as { accountName?: string }).accountName ? '/api/accounts/signup' : '/api/accounts', body, {
      headers: { 'idempotency-key': key },
      token,
    });

  it('replays the first answer to a retry and creates once', async () => {
    const body = signupBody();
    const key = `key-${Math.random()}`;
    const first = await withKey(key, body);
    const second = await withKey(key, body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM users WHERE email = $1`, [body.email]);
    expect(count).toBe(1);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body', async () => {
    const key = `key-${Math.random()}`;
    expect((await withKey(key, signupBody())).status).toBe(201);
    const other = signupBody();
    const res = await withKey(key, other);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await t.db.query(`SELECT id FROM users WHERE email = $1`, [other.email])).toEqual([]);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE to a retry while the first still runs', async () => {
    const body = signupBody();
    const key = `key-${Math.random()}`;
    const answers = await Promise.all([withKey(key, body), withKey(key, body)]);
    const statuses = answers.map((a) => a.status).sort();
    // The second either arrives while the first runs (409) or after it finished (a replayed 201).
    expect([
      [201, 201],
      [201, 409],
    ]).toContainEqual(statuses);
    const inUse = answers.find((a) => a.status === 409);
    if (inUse) expect(inUse.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM users WHERE email = $1`, [body.email]);
    expect(count).toBe(1);
  });

  it('keeps nothing for a failed request, so it can be retried', async () => {
    const { token } = await createLoggedInUser(t);
    const key = `key-${Math.random()}`;
    const bad = await withKey(key, { name: 'x'.repeat(256) }, token);
    expect(bad.status).toBe(400);
    const good = await withKey(key, { name: 'x'.repeat(256) }, token);
    expect(good.status).toBe(400);
    expect(await t.db.query(`SELECT key FROM idempotency_keys WHERE key = $1`, [key])).toEqual([]);
  });

  it('scopes keys per caller and forgets them after 24 hours', async () => {
    const alice = await createLoggedInUser(t);
    const bob = await createLoggedInUser(t);
    const key = `shared-${Math.random()}`;
    const a = await withKey(key, { name: `Alice Co ${key}` }, alice.token);
    const b = await withKey(key, { name: `Alice Co ${key}` }, bob.token);
    expect(a.status).toBe(201);
    expect(b.status).toBe(409);
    expect(b.body.code).toBe('ACCOUNT_ALREADY_EXISTS');

    t.clock.advance(24 * 3600 * 1000 + 1000);
    const login = await t.http.post('/api/auth/login', { email: alice.user.email, password: alice.password });
    const later = await withKey(key, { name: `Alice Co ${key}` }, login.body.accessToken);
    expect(later.status).toBe(409);
    expect(later.body.code).toBe('ACCOUNT_ALREADY_EXISTS');
  });

  it('refuses a malformed key', async () => {
    const res = await withKey('x'.repeat(256), signupBody());
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });
});
