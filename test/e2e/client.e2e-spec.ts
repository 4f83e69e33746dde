import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAccountsClient } from '../../client/index.js';
import { createAccount, createPlatformAdmin } from '../factories/account.factory.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';

/** The typed client of `client/`, as an internal service would use it, against the running app. */
describe('typed client', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('logs in, reads an account and introspects a token with typed calls', async () => {
    const { account, owner } = await createAccount(t);
    const anonymous = createAccountsClient({ baseUrl: t.http.baseUrl });
    const login = await anonymous.POST('/api/auth/login', { body: { email: owner.user.email, password: owner.password } });
    expect(login.response.status).toBe(200);
    const accessToken = login.data!.accessToken;

    const client = createAccountsClient({ baseUrl: t.http.baseUrl, token: accessToken });
    const got = await client.GET('/api/accounts/{id}', { params: { path: { id: String(account.id) } } });
    expect(got.data).toMatchObject({ id: account.id, name: account.name, settings: { currency: 'USD' } });

    const missing = await client.GET('/api/accounts/{id}', { params: { path: { id: '999999' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });

    const admin = await createPlatformAdmin(t);
    const service = createAccountsClient({ baseUrl: t.http.baseUrl, token: admin.token });
    const introspection = await service.POST('/api/tokens/introspect', { body: { token: accessToken } });
    expect(introspection.data).toMatchObject({ active: true, token_type: 'access_token', sub: String(owner.user.id) });
  });
});
