import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createAccount,
  createAccountMember,
  createApiToken,
  createInvitation,
  createPlatformAdmin,
  createWebhook,
  type TestUser,
  uniqueAccountName,
} from '../../factories/account.factory.js';
import { DEFAULT_PASSWORD, uniqueEmail } from '../../factories/user.factory.js';
import { startSmtpServer, type TestSmtpServer } from '../../setup/smtp.js';
import { type Reply, startTestApp, type TestApp } from '../../setup/test-app.js';
import { decodeJwt, fillPath, type OpenApiDocument, type Operation, operationsOf, sampleBody, type Schema } from './support.js';

/**
 * Issue 5, inputs PostgreSQL would refuse: a NUL character in any string of any body, path
 * segment or query parameter, and integers beyond PostgreSQL's `integer` (and beyond 64 bits)
 * wherever the document declares a number, answer 4xx with the API's error shape, never 500.
 *
 * Exhaustive and deterministic (the fuzz suite samples at random): every operation of the app's
 * own OpenAPI document, each field of its body alone made hostile in an otherwise valid body built
 * from the schema's examples, each path parameter and each query parameter, sent by a platform
 * administrator so that no guard stops the request before the code that would reach the database.
 */
const NUL_PATH_SEGMENTS = ['%00', 'a%00b', '1%00', '%001'];
const HUGE_PATH_SEGMENTS = ['2147483648', '-2147483649', '9223372036854775808', '99999999999999999999', '1e21'];
const HUGE_NUMBERS = [2147483648, -2147483649, 9223372036854775807, 1e21, 1e308];

/**
 * Answers that are right although 2xx: the input is not stored and the operation is specified to
 * answer so for anything unknown (RFC 7662 introspection: `{active: false}`).
 */
const ACCEPTED_AS_UNKNOWN: Record<string, unknown> = { 'POST /api/tokens/introspect': { active: false } };

describe('NUL characters and out-of-range integers', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let admin: TestUser;
  let operations: Operation[];
  let ids: Record<string, string>;
  let memberId: number;
  let accountId: number;
  const problems: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url });
    admin = await createPlatformAdmin(t);
    const { account } = await createAccount(t, { owner: admin });
    accountId = account.id;
    const member = await createAccountMember(t, account.id, ['user']);
    memberId = member.user.id;
    const invitation = await createInvitation(t, account.id, ['viewer']);
    const token = await createApiToken(t, admin.user.id, account.id);
    const webhook = await createWebhook(t, account.id);
    ids = {
      account: String(account.id),
      user: String(member.user.id),
      invitationId: String(invitation.invitation.id),
      tokenId: token.id,
      webhookId: webhook.id,
      session: String(decodeJwt(admin.token).claims.sid),
    };
    const doc = (await t.http.get<OpenApiDocument>('/docs-json')).body;
    operations = operationsOf(doc);
    // Destructive operations last, so that a wrongly accepted request cannot starve the others of their fixtures.
    operations.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  beforeEach(() => {
    problems.length = 0;
  });

  /** The valid path of an operation, with the fixtures' ids. */
  function validPath(op: Operation, overrides: Record<string, string> = {}): string {
    const values: Record<string, string> = {};
    for (const { name } of op.pathParams) values[name] = overrides[name] ?? validParam(op.path, name);
    return fillPath(op.path, values);
  }

  function validParam(path: string, name: string): string {
    if (name === 'id') {
      if (path.startsWith('/api/accounts/')) return ids.account;
      if (path.startsWith('/api/users/')) return ids.user;
      if (path.startsWith('/api/tokens/')) return ids.tokenId;
      if (path.startsWith('/api/auth/sessions/')) return ids.session;
    }
    if (name === 'userId') return ids.user;
    if (name in ids) return ids[name];
    throw new Error(`The sweep has no fixture for {${name}} in ${path}: add one`);
  }

  async function send(op: Operation, path: string, body?: unknown): Promise<Reply> {
    sent += 1;
    return t.http.request(op.method, path, body, { token: admin.token });
  }

  /** Records a problem unless the answer is a 4xx in the API's error shape (or an allowed "unknown" answer). */
  function judge(op: Operation, what: string, res: Reply): void {
    const key = `${op.method} ${op.path}`;
    if (key in ACCEPTED_AS_UNKNOWN && res.status === 200 && JSON.stringify(res.body) === JSON.stringify(ACCEPTED_AS_UNKNOWN[key])) return;
    const shaped = res.body && typeof res.body === 'object' && (typeof res.body.code === 'string' || typeof res.body.error === 'string');
    if (res.status < 400 || res.status >= 500 || !shaped) problems.push(`${key} ${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  }

  /** A valid body: unique emails and names, the fixtures' ids, examples for the rest. */
  function validBody(schema: Schema): Record<string, unknown> {
    const inADay = () => new Date(t.clock.now().getTime() + 86_400_000).toISOString();
    return sampleBody(schema, {
      email: () => uniqueEmail('hostile'),
      username: () => uniqueEmail('hostile'),
      primaryContact: () => uniqueEmail('contact'),
      password: () => 'a-valid-hostile-input-passphrase',
      newPassword: () => 'a-valid-hostile-input-passphrase',
      currentPassword: () => DEFAULT_PASSWORD,
      name: () => uniqueAccountName('Hostile'),
      accountName: () => uniqueAccountName('Hostile'),
      title: () => uniqueAccountName('Hostile'),
      userId: () => memberId,
      accountId: () => accountId,
      roles: () => ['viewer'],
      isAdmin: () => false,
      status: (s) => (s.enum?.includes('active') ? 'active' : s.enum?.[0]),
      url: () => 'https://hooks.example.test/hostile',
      expiresAt: inADay,
    });
  }

  /** Each field of the body (nested ones too) made hostile alone: `[path of the field, body]`. */
  function hostileBodies(schema: Schema): [string, unknown][] {
    const bodies: [string, unknown][] = [];
    const base = validBody(schema);
    const walk = (s: Schema, at: string[]) => {
      for (const [name, property] of Object.entries(s.properties ?? {})) {
        const here = [...at, name];
        for (const value of hostileValues(property)) bodies.push([here.join('.'), setAt(structuredClone(base), here, value)]);
        if (property.properties) walk(property, here);
      }
    };
    walk(schema, []);
    bodies.push(['a key with NUL', { ...base, 'a\u0000b': 1 }]);
    return bodies;
  }

  function hostileValues(schema: Schema): unknown[] {
    switch (schema.type) {
      case 'string':
        return schema.format === 'date-time' ? ['2030-01-01T00:00:00\u0000Z', 'a\u0000b'] : ['a\u0000b', '\u0000', `${String(schema.example ?? schema.enum?.[0] ?? 'x')}\u0000`];
      case 'integer':
      case 'number':
        return HUGE_NUMBERS;
      case 'array':
        return schema.items?.type === 'integer' || schema.items?.type === 'number' ? HUGE_NUMBERS.map((n) => [n]) : [['a\u0000b'], [`${String(schema.items?.enum?.[0] ?? 'x')}\u0000`]];
      case 'object':
        if (schema.properties) return [];
        return [{ 'k\u0000': 1 }, { k: 'a\u0000b' }, { k: { deep: ['a\u0000b'] } }];
      default:
        return schema.properties ? [] : ['a\u0000b', 2147483648];
    }
  }

  it('answers 4xx for a NUL character or a huge integer in any field of any body', async () => {
    let fields = 0;
    for (const op of operations.filter((o) => o.body)) {
      for (const [field, body] of hostileBodies(op.body!)) {
        fields += 1;
        judge(op, `body field ${field} = ${JSON.stringify(valueAt(body, field))}`, await send(op, validPath(op), body));
      }
    }
    console.info(`hostile bodies: ${fields} across ${operations.filter((o) => o.body).length} operations`);
    expect(fields).toBeGreaterThan(100);
    expect(problems).toEqual([]);
    // Control: each base body passes validation, so each refusal above was the hostile field's doing.
    const invalidBases = [];
    for (const op of operations.filter((o) => o.body)) {
      const res = await send(op, validPath(op), validBody(op.body!));
      if (res.status >= 500 || res.body?.code === 'VALIDATION_FAILED' || res.body?.error === 'invalid_request') {
        invalidBases.push(`${op.method} ${op.path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(invalidBases).toEqual([]);
  });

  it('answers 4xx for a NUL character or a huge integer in any path parameter', async () => {
    let cases = 0;
    for (const op of operations.filter((o) => o.pathParams.length > 0)) {
      for (const { name } of op.pathParams) {
        for (const value of [...NUL_PATH_SEGMENTS, ...HUGE_PATH_SEGMENTS]) {
          cases += 1;
          judge(op, `path {${name}} = ${value}`, await send(op, validPath(op, { [name]: value }), op.body ? validBody(op.body) : undefined));
        }
      }
    }
    console.info(`hostile path parameters: ${cases}`);
    expect(cases).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });

  it('answers 4xx for a NUL character or a huge integer in any query parameter', async () => {
    const values: Record<string, string[]> = {
      $filter: ["name eq 'a\u0000b'", "email eq 'a\u0000b'", 'id eq 2147483648', 'id eq 99999999999999999999', 'id eq -2147483649', 'createdAt gt 99999-01-01T00:00:00Z', '\u0000', "contains(name, '\u0000')"],
      $orderby: ['\u0000', 'id\u0000', 'createdAt desc\u0000'],
      $top: ['2147483648', '99999999999999999999', '\u0000', '1\u0000'],
      $skip: ['2147483648', '9223372036854775808', '99999999999999999999', '\u0000', '1\u0000'],
    };
    let cases = 0;
    const unknown: string[] = [];
    for (const op of operations.filter((o) => o.queryParams.length > 0)) {
      for (const { name, schema } of op.queryParams) {
        const hostile = values[name] ?? (schema.type === 'integer' ? values.$skip : ['\u0000', 'a\u0000b']);
        if (!values[name]) unknown.push(`${op.method} ${op.path} ?${name}`);
        for (const value of hostile) {
          cases += 1;
          judge(op, `query ${name}=${JSON.stringify(value)}`, await send(op, `${validPath(op)}?${encodeURIComponent(name)}=${encodeURIComponent(value)}`));
        }
      }
    }
    console.info(`hostile query parameters: ${cases}${unknown.length ? `; generic values for ${unknown.join(', ')}` : ''}`);
    expect(cases).toBeGreaterThan(50);
    expect(problems).toEqual([]);
    console.info(`NUL and out-of-range sweep: ${sent} requests in all`);
  });
});

function setAt(target: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
  return target;
}

function valueAt(body: unknown, field: string): unknown {
  return field.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), body);
}
