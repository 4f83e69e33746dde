import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAccountWithMembers, createInvitation } from '../../factories/account.factory.js';
import { startSmtpServer } from '../../setup/smtp.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';
let t: TestApp; let smtp: any;
beforeAll(async () => { smtp = await startSmtpServer(); t = await startTestApp({ SMTP_URL: smtp.url, LOG_LEVEL: 'error' }); });
afterAll(async () => { await t.close(); await smtp.close(); });
it('probe remove vs accept', async () => {
  const fx = await createAccountWithMembers(t);
  const out: Record<string, number> = {};
  for (let round = 0; round < 40; round++) {
    const inv = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
    const [a, r] = await Promise.all([
      t.http.post('/api/invitations/accept', { token: inv.token, password: 'invited-user-password-42' }),
      (async () => { await sleep((round % 20) * 6); return t.http.delete(`/api/accounts/${fx.account.id}/users/${inv.user.id}`, fx.manage.token); })(),
    ]);
    const k = `${a.status}/${r.status}`; out[k] = (out[k] ?? 0) + 1;
  }
  console.info(JSON.stringify(out));
});
it('probe resend vs accept', async () => {
  const fx = await createAccountWithMembers(t);
  const out: Record<string, number> = {};
  for (let round = 0; round < 150; round++) {
    const inv = await createInvitation(t, fx.account.id, ['viewer'], fx.owner.user.id);
    const [a, r] = await Promise.all([
      t.http.post('/api/invitations/accept', { token: inv.token, password: 'invited-user-password-42' }),
      (async () => { await sleep(Math.random() * 120); return t.http.put(`/api/accounts/${fx.account.id}/users/${inv.user.id}/invite`, undefined, fx.manage.token); })(),
    ]);
    const [row] = await t.db.query(`SELECT status, accepted_at IS NOT NULL AS acc FROM invitations WHERE id = $1`, [inv.invitation.id]);
    const k = `${a.status}/${r.status}/${row.status}/${row.acc}`; out[k] = (out[k] ?? 0) + 1;
  }
  console.info(JSON.stringify(out));
});
