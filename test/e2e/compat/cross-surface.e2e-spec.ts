import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAccount, createMember, createPlatformAdmin, uniqueAccountName } from '../../factories/account.factory.js';
import { uniqueEmail } from '../../factories/user.factory.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';

/** One row per account, whichever surface made it: `acct_42` on /v1 is account 42 on /api. */
describe('one account seen through every surface', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  const login = async (email: string, password: string) => {
    const res = await t.http.post('/api/auth/login', { email, password });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  };

  it('an account created on /v1 is read on /api by its owner, whom Landscape sees as already having an account', async () => {
    const request = {
      email: uniqueEmail('v1-owner'),
      name: uniqueAccountName('Acme Inc.'),
      type: 'individual',
      password: 'secure_password_here',
      settings: { currency: 'EUR', timezone: 'Europe/Berlin', language: 'de' },
    };
    const created = await t.http.post('/v1/accounts', request);
    expect(created.status).toBe(201);
    const id = Number(/^acct_(\d+)$/.exec(created.body.id)?.[1]);

    const token = await login(request.email, request.password);
    const account = await t.http.get(`/api/accounts/${id}`, token);
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ id, name: request.name, type: 'individual', status: 'active', settings: request.settings, primaryContact: request.email });
    expect(account.body.createdAt.replace(/\.\d{3}Z$/, 'Z')).toBe(created.body.created_at);
    const byName = await t.http.get(`/api/accounts/${encodeURIComponent(request.name.toLowerCase())}`, token);
    expect(byName.body.id).toBe(id);

    const members = await t.http.get(`/api/accounts/${id}/users`, token);
    expect(members.status).toBe(200);
    expect(members.body.value).toEqual([expect.objectContaining({ email: request.email, roles: ['owner'] })]);

    const landscape = await t.http.post('/api/v2/accounts', { title: uniqueAccountName() }, token);
    expect(landscape.status).toBe(409);
    expect(landscape.body.code).toBe('USER_ALREADY_HAS_ACCOUNT');
  });

  it('an account created on Landscape lists its owner, who then reads it on /api and is refused a second one on /v1 by email', async () => {
    const caller = await createMember(t, { firstName: 'Ada', lastName: 'Lovelace' });
    const title = uniqueAccountName('Onward, Inc.');
    const landscape = await t.http.post('/api/v2/accounts', { title }, caller.token);
    expect(landscape.status).toBe(200);
    expect(landscape.body.administrators).toEqual([{ name: 'Ada Lovelace', email: caller.user.email, openid: null }]);

    const account = await t.http.get(`/api/accounts/${encodeURIComponent(title)}`, caller.token);
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ slug: landscape.body.account, name: title });
    expect(account.body.createdAt.replace(/\.\d{3}Z$/, 'Z')).toBe(landscape.body.creation_time);

    const v1 = await t.http.post('/v1/accounts', { email: caller.user.email, name: uniqueAccountName(), type: 'business', password: 'secure_password_here' });
    expect(v1.status).toBe(409);
    expect(v1.body.error).toBe('email_exists');
  });

  it('an account created on the Portal is read on /api with its initial token, and its owner already has an account for Landscape', async () => {
    const admin = await createPlatformAdmin(t);
    await createAccount(t, { owner: admin, fields: { plan: 'oem' } });
    const request = { name: uniqueAccountName('Zydro Marine'), username: uniqueEmail('portal-owner'), password: 'a-strong-password' };
    const portal = await t.http.post('/api/portal/v1/admin/createAccount', request, admin.token);
    expect(portal.status).toBe(200);

    const account = await t.http.get(`/api/accounts/${portal.body.account.id}`, portal.body.initialToken.id);
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ id: portal.body.account.id, name: request.name, plan: 'oem' });
    expect(Date.parse(account.body.createdAt)).toBe(portal.body.account.createdAt);

    // The owner made on the Portal already has an account in Landscape's eyes.
    const token = await login(request.username, request.password);
    const landscape = await t.http.post('/api/v2/accounts', { title: uniqueAccountName() }, token);
    expect(landscape.body.code).toBe('USER_ALREADY_HAS_ACCOUNT');
  });
});
