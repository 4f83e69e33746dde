import { afterAll, beforeAll, it } from '@jest/globals';
import { createAccountWithMembers } from '../factories/account.factory.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';
let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.close(); });
it('probe', async () => {
  const fx = await createAccountWithMembers(t);
  for (const [raw, ct] of [['email=a@b.c', 'application/x-www-form-urlencoded'], ['hello', 'text/plain'], ['<a/>', 'application/xml']]) {
    const r = await t.http.request('POST', `/api/accounts/${fx.account.id}/users`, undefined, { token: fx.owner.token, raw, contentType: ct });
    console.log(ct, r.status, JSON.stringify(r.body));
    const r2 = await t.http.request('POST', `/api/auth/login`, undefined, { raw, contentType: ct });
    console.log('login', ct, r2.status, JSON.stringify(r2.body));
  }
  const r = await t.http.get('/api/accounts/a%00b', fx.owner.token);
  console.log(r.status, r.body);
  const d = await t.http.get('/docs-json');
  console.log(d.status, Object.keys(d.body.paths).filter(p => p.startsWith('/api/accounts')).map(p => p + ' ' + Object.keys(d.body.paths[p]).join(',')).join('\n'));
});
