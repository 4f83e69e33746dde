import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMember } from '../../factories/account.factory.js';
import { DEFAULT_PASSWORD } from '../../factories/user.factory.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';

/**
 * Two instances of the service on one PostgreSQL database and one Redis: what one instance does
 * holds on the other at once, because no state that matters lives in a process.
 * (Runs only when the run has PostgreSQL and Redis: see jest.config.js.)
 */
describe('two instances', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env = { REDIS_URL: process.env.TEST_REDIS_URL! };
    a = await startTestApp(env);
    b = await startTestApp(env, a.database);
  });

  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('share a login lockout through Redis', async () => {
    const { user } = await createMember(a);
    for (let i = 0; i < 10; i++) {
      const instance = i % 2 === 0 ? a : b;
      expect((await instance.http.post('/api/auth/login', { email: user.email, password: 'wrong-password' })).status).toBe(401);
    }
    for (const instance of [a, b]) {
      const res = await instance.http.post('/api/auth/login', { email: user.email, password: DEFAULT_PASSWORD });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('INVALID_CREDENTIALS');
    }
  });

  it('see a logout made through the other at once', async () => {
    const { user } = await createMember(a);
    const login = await a.http.post('/api/auth/login', { email: user.email, password: DEFAULT_PASSWORD });
    expect((await b.http.get('/api/auth/me', login.body.accessToken)).status).toBe(200);
    expect((await a.http.post('/api/auth/logout', undefined, login.body.accessToken)).status).toBe(204);
    expect((await b.http.get('/api/auth/me', login.body.accessToken)).status).toBe(401);
  });

  it('see an API token revoked through the other at once', async () => {
    const owner = await createMember(a);
    const created = await a.http.post('/api/tokens', { name: 'shared' }, owner.token);
    expect((await b.http.get('/api/auth/me', created.body.token)).status).toBe(200);
    expect((await b.http.delete(`/api/tokens/${created.body.id}`, owner.token)).status).toBe(200);
    expect((await a.http.get('/api/auth/me', created.body.token)).status).toBe(401);
  });
});
