import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMember, createPlatformAdmin } from '../../factories/account.factory.js';
import { DEFAULT_PASSWORD, uniqueEmail } from '../../factories/user.factory.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';

const INVALID = { statusCode: 401, code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' };

/** Login lockout per email (test clock), per-IP limits, and the HTTP hygiene every answer shares. */
/** Counters in memory always; in Redis too when the run has one (`TEST_REDIS_URL`, set by `.ci/run`). */
const STORES: [string, Record<string, string>][] = [['in memory', {}]];
if (process.env.TEST_REDIS_URL) STORES.push(['in Redis', { REDIS_URL: process.env.TEST_REDIS_URL }]);

describe.each(STORES)('abuse protection with counters %s', (_label, env: Record<string, string>) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env);
  });

  afterAll(async () => {
    await t.close();
  });

  const login = (email: string, password: string) => t.http.post('/api/auth/login', { email, password });
  const fail = async (email: string, times: number) => {
    for (let i = 0; i < times; i++) expect((await login(email, 'wrong-password')).body).toEqual(INVALID);
  };

  it('locks an email after 10 failures, answering like a wrong password even for the right one; 60 s, then doubling', async () => {
    const { user } = await createMember(t);
    await fail(user.email, 9);
    expect((await login(user.email, DEFAULT_PASSWORD)).status).toBe(200); // a success forgets the failures
    await fail(user.email, 10);
    expect((await login(user.email, DEFAULT_PASSWORD)).body).toEqual(INVALID);
    expect((await login(user.email.toUpperCase(), DEFAULT_PASSWORD)).body).toEqual(INVALID);

    t.clock.advance(59_000);
    await fail(user.email, 3); // failures during the lockout neither count nor extend it
    t.clock.advance(1_500);
    // Over: ten more failures in a row start the next lockout, twice as long.
    await fail(user.email, 10);
    t.clock.advance(61_000);
    expect((await login(user.email, DEFAULT_PASSWORD)).body).toEqual(INVALID); // the second lockout lasts 120 s
    t.clock.advance(60_000);
    expect((await login(user.email, DEFAULT_PASSWORD)).status).toBe(200);
  });

  it('caps the lockout at 15 minutes', async () => {
    const { user } = await createMember(t);
    for (const minutes of [1, 2, 4, 8, 15, 15]) {
      await fail(user.email, 10);
      t.clock.advance(minutes * 60_000 - 1_000);
      expect((await login(user.email, DEFAULT_PASSWORD)).body).toEqual(INVALID);
      t.clock.advance(2_000);
    }
    expect((await login(user.email, DEFAULT_PASSWORD)).status).toBe(200);
  });

  it('locks unknown emails too, and a platform admin can unlock a user', async () => {
    const nobody = uniqueEmail('nobody');
    await fail(nobody, 11);
    const { user } = await createMember(t);
    await fail(user.email, 10);
    const admin = await createPlatformAdmin(t);
    const res = await t.http.post(`/api/users/${user.id}/unlock`, undefined, admin.token);
    expect(res.body).toEqual({ success: true, message: 'User unlocked' });
    expect((await login(user.email, DEFAULT_PASSWORD)).status).toBe(200);
  });
});

describe('per-IP rate limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '5' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers 429 TOO_MANY_REQUESTS with Retry-After and RateLimit headers past the limit', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await t.http.post('/api/auth/password/forgot', { email: uniqueEmail() }));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(answers[0].headers.get('ratelimit-limit')).toBe('5');
    expect(answers[4].headers.get('ratelimit-remaining')).toBe('0');
    const limited = answers[5];
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('counts each route apart and ignores X-Forwarded-For without TRUST_PROXY', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.http.request('POST', '/api/auth/refresh', { refreshToken: 'acs_rt_x' }, { headers: { 'x-forwarded-for': `10.0.0.${i}` } });
      expect(res.status).toBe(401);
    }
    const res = await t.http.request('POST', '/api/auth/refresh', { refreshToken: 'acs_rt_x' }, { headers: { 'x-forwarded-for': '10.0.0.99' } });
    expect(res.status).toBe(429);
  });
});

describe('HTTP hygiene', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://app.example.test' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('sends security headers and no-store on answers carrying credentials', async () => {
    const { user } = await createMember(t);
    const res = await login(user.email);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('allows CORS only for the configured origins', async () => {
    const allowed = await t.http.request('OPTIONS', '/api/auth/login', undefined, {
      headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
    const denied = await t.http.request('OPTIONS', '/api/auth/login', undefined, {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never takes a token from the query string', async () => {
    const { token } = await createMember(t);
    const res = await t.http.get(`/api/auth/me?access_token=${token}`);
    expect(res.status).toBe(401);
  });

  it('answers an out-of-range integer and a NUL character with 4xx, not 500', async () => {
    const { token } = await createMember(t);
    for (const path of ['/api/accounts/99999999999999999999', '/api/accounts/%00', `/api/accounts?$filter=id eq 99999999999`]) {
      const res = await t.http.get(path, token);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  async function login(email: string) {
    return t.http.post('/api/auth/login', { email, password: DEFAULT_PASSWORD });
  }
});
