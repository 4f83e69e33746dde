import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createAccountWithMembers, createPlatformAdmin, type TestUser } from '../../factories/account.factory.js';
import { createTestDatabase, type TestDatabase } from '../../setup/database.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';

/**
 * `DATABASE_REPLICA_URLS`: the lists that may lag read a replica, everything that authorizes reads
 * the primary. The "replica" here is a second database that the test fills differently, so the
 * answers show which one each read went to. (Runs only when the run has PostgreSQL: jest.config.js.)
 */
describe('read replicas', () => {
  let replica: TestDatabase;
  let t: TestApp;
  let admin: TestUser;

  const onReplica = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: replica.env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    replica = await createTestDatabase();
    const primary = await createTestDatabase();
    t = await startTestApp({ DATABASE_REPLICA_URLS: replica.env.DATABASE_URL }, primary);
    admin = await createPlatformAdmin(t);
  });

  afterAll(async () => {
    await t?.close();
    await t?.database.drop();
    await replica?.drop();
  });

  it('sends the audit-event and user lists to the replica', async () => {
    await t.db.query(`INSERT INTO audit_events (action) VALUES ('primary.marker')`);
    await onReplica(`INSERT INTO audit_events (action) VALUES ('replica.marker')`);
    await onReplica(`INSERT INTO users (email, first_name, last_name, status) VALUES ('only-on-replica@example.test', 'R', 'R', 'active')`);

    const events = await t.http.get(`/api/audit-events?$filter=${encodeURIComponent("endswith(action, '.marker')")}`, admin.token);
    expect(events.status).toBe(200);
    expect(events.body.value.map((e: { action: string }) => e.action)).toEqual(['replica.marker']);

    const users = await t.http.get('/api/users', admin.token);
    expect(users.status).toBe(200);
    expect(users.body.value.map((u: { email: string }) => u.email)).toEqual(['only-on-replica@example.test']);
  });

  it('authorizes on the primary: logins, roles and accounts do not exist on the replica yet still work', async () => {
    const a = await createAccountWithMembers(t);
    await expect(onReplica(`SELECT count(*)::int AS n FROM accounts`)).resolves.toEqual([{ n: 0 }]);
    expect((await t.http.get('/api/auth/me', a.viewer.token)).status).toBe(200);
    expect((await t.http.get(`/api/accounts/${a.account.id}`, a.viewer.token)).status).toBe(200);
    const added = await t.http.put(`/api/accounts/${a.account.id}`, { description: 'written to the primary' }, a.manage.token);
    expect(added.status).toBe(200);
    const audit = await t.http.get(`/api/accounts/${a.account.id}/audit-events`, a.admin.token);
    expect(audit.body).toEqual({ value: [], count: 0 }); // the replica has not caught up (it never will, here)
    await expect(t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1`, [a.account.id])).resolves.toEqual([{ n: 2 }]);
  });
});
