import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyWebhookSignature } from '../../src/outbox/webhook-signature.js';
import { type AccountWithMembers, createAccountMember, createAccountWithMembers, createMember } from '../factories/account.factory.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';
import { eventually } from '../setup/eventually.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  event: Record<string, any>;
}

/** An HTTP receiver on loopback in the test process: records every request, answers `status()`. */
class Receiver {
  readonly requests: Received[] = [];
  status: (request: Received) => number = () => 200;
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const received = { path: req.url ?? '', headers: req.headers, body, event: JSON.parse(body) };
        this.requests.push(received);
        res.writeHead(this.status(received)).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  at(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}


let pathSequence = 0;
const uniquePath = () => `/hook-${++pathSequence}`;

describe('webhooks', () => {
  let t: TestApp;
  let receiver: Receiver;
  let a: AccountWithMembers;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp({ OUTBOX_POLL_MS: '50', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    a = await createAccountWithMembers(t);
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  afterEach(() => {
    receiver.status = () => 200;
  });

  const subscribe = async (events: string[], path = uniquePath(), account = a) => {
    const res = await t.http.post(`/api/accounts/${account.account.id}/webhooks`, { url: receiver.url(path), events }, account.owner.token);
    expect(res.status).toBe(201);
    return { id: res.body.id as string, secret: res.body.secret as string, path };
  };

  const deliveriesOf = (webhookId: string, query = '') =>
    t.http.get(`/api/accounts/${a.account.id}/webhooks/${webhookId}/deliveries${query}`, a.owner.token);

  it('shows the secret once, stores it only encrypted, and lists webhooks without it', async () => {
    const res = await t.http.post(
      `/api/accounts/${a.account.id}/webhooks`,
      { url: receiver.url('/listed'), events: ['membership.added'], description: 'CRM sync' },
      a.admin.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      accountId: a.account.id,
      url: receiver.url('/listed'),
      events: ['membership.added'],
      description: 'CRM sync',
      active: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const [row] = await t.db.query(`SELECT secret_sealed FROM webhooks WHERE id = $1`, [res.body.id]);
    expect(row.secret_sealed).not.toContain(res.body.secret.slice(6));

    const one = await t.http.get(`/api/accounts/${a.account.id}/webhooks/${res.body.id}`, a.admin.token);
    const list = await t.http.get(`/api/accounts/${a.account.id}/webhooks?$filter=${encodeURIComponent(`url eq '${receiver.url('/listed')}'`)}`, a.admin.token);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(list.body).toEqual({ value: [one.body], count: 1 });
    expect(JSON.stringify([one.body, list.body])).not.toContain(res.body.secret);
  });

  it('is for admins and owners: a manager gets 403 UNAUTHORIZED, a non-member 404 ACCOUNT_NOT_FOUND', async () => {
    const outsider = await createMember(t);
    const body = { url: receiver.url('/denied'), events: ['*'] };
    const manage = await t.http.post(`/api/accounts/${a.account.id}/webhooks`, body, a.manage.token);
    const stranger = await t.http.post(`/api/accounts/${a.account.id}/webhooks`, body, outsider.token);
    const list = await t.http.get(`/api/accounts/${a.account.id}/webhooks`, a.manage.token);
    expect([manage.status, manage.body.code]).toEqual([403, 'UNAUTHORIZED']);
    expect([stranger.status, stranger.body.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    expect([list.status, list.body.code]).toEqual([403, 'UNAUTHORIZED']);
    await expect(t.db.query(`SELECT count(*)::int AS n FROM webhooks WHERE url = $1`, [body.url])).resolves.toEqual([{ n: 0 }]);
  });

  it('refuses bad URLs, unknown events and unknown fields with 400 VALIDATION_FAILED', async () => {
    const url = `/api/accounts/${a.account.id}/webhooks`;
    for (const body of [
      { url: 'ftp://hooks.example.com/x', events: ['*'] },
      { url: 'https://user:password@hooks.example.com/x', events: ['*'] },
      { url: 'not a url', events: ['*'] },
      { url: `https://hooks.example.com/${'x'.repeat(2100)}`, events: ['*'] },
      { url: 'https://hooks.example.com/x', events: ['user.created'] },
      { url: 'https://hooks.example.com/x', events: [] },
      { url: 'https://hooks.example.com/x', events: ['*'], secret: 'mine' },
    ]) {
      const res = await t.http.post(url, body, a.owner.token);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
    }
  });

  it('delivers a subscribed event once, signed with the secret over timestamp and body, and logs the delivery', async () => {
    const hook = await subscribe(['membership.added']);
    const newcomer = await createMember(t);
    const add = await t.http.post(`/api/accounts/${a.account.id}/users/${newcomer.user.id}`, { roles: ['viewer'] }, a.manage.token);
    expect(add.status).toBe(201);

    const [delivery] = await eventually(() => receiver.at(hook.path), (r) => r.length === 1);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['webhook-event']).toBe('membership.added');
    expect(verifyWebhookSignature(hook.secret, String(delivery.headers['webhook-signature']), delivery.body, t.clock.nowSeconds())).toBe(true);
    expect(verifyWebhookSignature(`${hook.secret}x`, String(delivery.headers['webhook-signature']), delivery.body, t.clock.nowSeconds())).toBe(false);
    expect(delivery.event).toEqual({
      id: expect.stringMatching(/^evt_\d+$/),
      type: 'membership.added',
      createdAt: expect.any(String),
      accountId: a.account.id,
      actor: { userId: a.manage.user.id, tokenId: null },
      target: { type: 'user', id: String(newcomer.user.id) },
      data: { roles: ['viewer'] },
    });
    // The event is the audit event of the change.
    const [audit] = await t.db.query(`SELECT action, target_id FROM audit_events WHERE id = $1`, [delivery.event.id.slice(4)]);
    expect(audit).toEqual({ action: 'membership.added', target_id: String(newcomer.user.id) });

    const log = await eventually(() => deliveriesOf(hook.id), (r) => r.body.value?.[0]?.status === 'sent');
    expect(log.status).toBe(200);
    expect(log.body).toEqual({
      value: [
        {
          id: delivery.headers['webhook-id'],
          status: 'sent',
          attempts: 1,
          responseStatus: 200,
          lastError: null,
          createdAt: expect.any(String),
          nextAttemptAt: null,
          deliveredAt: expect.any(String),
          event: delivery.event,
        },
      ],
      count: 1,
    });
    await sleep(200); // a few more dispatcher rounds: still one request
    expect(receiver.at(hook.path)).toHaveLength(1);
  });

  it('sends only the events subscribed to, and nothing for a change that rolled back', async () => {
    const hook = await subscribe(['membership.removed', 'membership.updated']);
    const member = await createAccountMember(t, a.account.id, ['user']);
    await t.http.put(`/api/accounts/${a.account.id}/users/${member.user.id}`, { roles: ['viewer'] }, a.admin.token); // updated
    await t.http.delete(`/api/accounts/${a.account.id}/users/${member.user.id}`, a.admin.token); // removed
    const lastOwner = await t.http.delete(`/api/accounts/${a.account.id}/users/${a.owner.user.id}`, a.owner.token);
    expect([lastOwner.status, lastOwner.body.code]).toEqual([409, 'LAST_OWNER']);

    const received = await eventually(() => receiver.at(hook.path), (r) => r.length === 2);
    expect(received.map((r) => [r.event.type, r.event.target.id])).toEqual([
      ['membership.updated', String(member.user.id)],
      ['membership.removed', String(member.user.id)],
    ]);
    await sleep(200);
    expect(receiver.at(hook.path)).toHaveLength(2);
    await expect(t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE webhook_id = $1`, [hook.id])).resolves.toEqual([{ n: 2 }]);
  });

  it('retries a failed delivery with backoff (test clock), with the same event id, until the receiver takes it', async () => {
    const hook = await subscribe(['account.updated']);
    receiver.status = () => 503;
    const update = await t.http.put(`/api/accounts/${a.account.id}`, { description: `retry ${Date.now()}` }, a.owner.token);
    expect(update.status).toBe(200);

    await eventually(() => receiver.at(hook.path), (r) => r.length === 1);
    const pending = await eventually(() => deliveriesOf(hook.id), (r) => r.body.value?.[0]?.responseStatus === 503);
    expect(pending.body.value[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'The receiver answered HTTP 503', deliveredAt: null });
    const due = new Date(pending.body.value[0].nextAttemptAt).getTime() - t.clock.now().getTime();
    expect(due).toBeGreaterThan(3_000);
    expect(due).toBeLessThanOrEqual(5_000);
    await sleep(200);
    expect(receiver.at(hook.path)).toHaveLength(1); // not before its time

    receiver.status = () => 204;
    t.clock.advance(5_000);
    const [first, second] = await eventually(() => receiver.at(hook.path), (r) => r.length === 2);
    expect(second.event).toEqual(first.event);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    const done = await eventually(() => deliveriesOf(hook.id, `?$filter=${encodeURIComponent("status eq 'sent'")}`), (r) => r.body.count === 1);
    // The last error stays as the history of the earlier attempt.
    expect(done.body.value[0]).toMatchObject({ status: 'sent', attempts: 2, responseStatus: 204, lastError: 'The receiver answered HTTP 503' });
  });

  it('rotates the secret: a ping afterwards is signed with the new one only', async () => {
    const hook = await subscribe(['membership.left']);
    const rotated = await t.http.post(`/api/accounts/${a.account.id}/webhooks/${hook.id}/secret`, undefined, a.owner.token);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);

    const ping = await t.http.post(`/api/accounts/${a.account.id}/webhooks/${hook.id}/ping`, undefined, a.owner.token);
    expect(ping.status).toBe(202);
    const [received] = await eventually(() => receiver.at(hook.path), (r) => r.length === 1);
    expect(received.event.type).toBe('webhook.ping');
    const signature = String(received.headers['webhook-signature']);
    expect(verifyWebhookSignature(rotated.body.secret, signature, received.body, t.clock.nowSeconds())).toBe(true);
    expect(verifyWebhookSignature(hook.secret, signature, received.body, t.clock.nowSeconds())).toBe(false);
  });

  it('pauses: an inactive webhook gets nothing, and its pending deliveries are dropped', async () => {
    const hook = await subscribe(['*']);
    receiver.status = () => 500;
    await t.http.put(`/api/accounts/${a.account.id}`, { description: `pause ${Date.now()}` }, a.owner.token);
    await eventually(() => deliveriesOf(hook.id), (r) => r.body.value?.[0]?.responseStatus === 500);

    const pause = await t.http.patch(`/api/accounts/${a.account.id}/webhooks/${hook.id}`, { active: false }, a.owner.token);
    expect([pause.status, pause.body.active]).toEqual([200, false]);
    await t.http.put(`/api/accounts/${a.account.id}`, { description: `paused ${Date.now()}` }, a.owner.token);
    receiver.status = () => 200;
    t.clock.advance(6_000); // past the first retry's time
    await sleep(300);
    expect(receiver.at(hook.path)).toHaveLength(1);
    const log = await deliveriesOf(hook.id);
    expect(log.body.value.map((d: { status: string; lastError: string }) => [d.status, d.lastError])).toEqual([['failed', 'The webhook was disabled']]);
    const ping = await t.http.post(`/api/accounts/${a.account.id}/webhooks/${hook.id}/ping`, undefined, a.owner.token);
    expect([ping.status, ping.body.code]).toEqual([409, 'CONFLICT']);
  });

  it("keeps each account's webhooks to itself: another account's admin gets 404", async () => {
    const hook = await subscribe(['*']);
    const other = await createAccountWithMembers(t);
    for (const [method, path] of [
      ['GET', `/api/accounts/${other.account.id}/webhooks/${hook.id}`],
      ['PATCH', `/api/accounts/${other.account.id}/webhooks/${hook.id}`],
      ['DELETE', `/api/accounts/${other.account.id}/webhooks/${hook.id}`],
      ['GET', `/api/accounts/${other.account.id}/webhooks/${hook.id}/deliveries`],
      ['POST', `/api/accounts/${other.account.id}/webhooks/${hook.id}/ping`],
      ['POST', `/api/accounts/${other.account.id}/webhooks/${hook.id}/secret`],
    ] as const) {
      const res = await t.http.request(method, path, method === 'PATCH' ? { active: false } : undefined, { token: other.owner.token });
      expect({ method, path, status: res.status, code: res.body.code }).toEqual({ method, path, status: 404, code: 'WEBHOOK_NOT_FOUND' });
    }
    await expect(t.db.query(`SELECT active FROM webhooks WHERE id = $1`, [hook.id])).resolves.toEqual([{ active: true }]);
  });

  it('deletes a webhook with its delivery log, and an account with its webhooks', async () => {
    const b = await createAccountWithMembers(t);
    const hook = await subscribe(['*'], uniquePath(), b);
    await t.http.put(`/api/accounts/${b.account.id}`, { description: 'one event' }, b.owner.token);
    await eventually(() => receiver.at(hook.path), (r) => r.length === 1);
    const second = await subscribe(['*'], uniquePath(), b);

    const removed = await t.http.delete(`/api/accounts/${b.account.id}/webhooks/${hook.id}`, b.owner.token);
    expect(removed.body).toEqual({ success: true, message: 'Webhook deleted' });
    await expect(t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE webhook_id = $1`, [hook.id])).resolves.toEqual([{ n: 0 }]);

    const deleted = await t.http.delete(`/api/accounts/${b.account.id}`, b.owner.token);
    expect(deleted.status).toBe(200);
    await expect(t.db.query(`SELECT count(*)::int AS n FROM webhooks WHERE id = $1`, [second.id])).resolves.toEqual([{ n: 0 }]);
  });

  it('allows at most 10 webhooks per account (409 CONFLICT)', async () => {
    const c = await createAccountWithMembers(t);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.http.post(`/api/accounts/${c.account.id}/webhooks`, { url: receiver.url(`/many-${i}`), events: ['*'] }, c.owner.token),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([...Array(10).fill(201), 409, 409]);
    await expect(t.db.query(`SELECT count(*)::int AS n FROM webhooks WHERE account_id = $1`, [c.account.id])).resolves.toEqual([{ n: 10 }]);
  });
});

describe('webhooks and private networks (the default)', () => {
  let t: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp({ OUTBOX_POLL_MS: '50' });
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('refuses loopback, private and link-local URLs when subscribing', async () => {
    const a = await createAccountWithMembers(t);
    for (const url of [receiver.url('/x'), 'http://localhost:8080/x', 'http://10.0.0.5/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/x']) {
      const res = await t.http.post(`/api/accounts/${a.account.id}/webhooks`, { url, events: ['*'] }, a.owner.token);
      expect({ url, status: res.status, code: res.body.code, details: res.body.details }).toEqual({
        url,
        status: 400,
        code: 'VALIDATION_FAILED',
        details: [{ field: 'url', problem: 'must point to a public address' }],
      });
    }
  });

  it('checks the address again when delivering: a name that resolves to loopback is not called', async () => {
    const a = await createAccountWithMembers(t);
    const created = await t.http.post(`/api/accounts/${a.account.id}/webhooks`, { url: 'https://hooks.example.com/x', events: ['*'] }, a.owner.token);
    expect(created.status).toBe(201);
    // As if the name's DNS answer had changed to a loopback address after the URL was accepted.
    const port = new URL(receiver.url('/')).port;
    await t.db.query(`UPDATE webhooks SET url = $2 WHERE id = $1`, [created.body.id, `http://localhost:${port}/rebound`]);
    await t.http.put(`/api/accounts/${a.account.id}`, { description: 'rebinding' }, a.owner.token);

    const log = await eventually(
      () => t.http.get(`/api/accounts/${a.account.id}/webhooks/${created.body.id}/deliveries`, a.owner.token),
      (r) => r.body.value?.[0]?.attempts === 1 && r.body.value[0].lastError !== null,
    );
    expect(log.body.value[0]).toMatchObject({ status: 'pending', responseStatus: null, lastError: expect.stringMatching(/is not a public address/) });
    expect(receiver.requests).toEqual([]);
  });
});
