/**
 * The bare reference: plain Fastify and `pg`, no Nest, no ORM, doing the work of the service's hot
 * paths as cheaply as we know how, against the same database. It answers the same JSON as the
 * service for the endpoints the benchmark reads (the runner compares them before measuring), and
 * nothing else. Not a product: no validation beyond what these paths need, no logging, no headers.
 *
 * Environment: DATABASE_URL, HOST (127.0.0.1), PORT, JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE
 * (accounts-service), JWT_ACCESS_TTL_SECONDS (900), DB_POOL_MAX (10, as the service).
 */
import { Algorithm, hash, verify as verifyPassword } from '@node-rs/argon2';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { createHash, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import pg from 'pg';
import { boundedCountSql, countOfPage } from '../src/common/query/count.js';

const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const ISSUER = process.env.JWT_ISSUER ?? 'accounts-service';
const AUDIENCE = process.env.JWT_AUDIENCE ?? 'accounts-service';
const ACCESS_TTL = Number(process.env.JWT_ACCESS_TTL_SECONDS ?? 900);
const REFRESH_TTL_MS = 30 * 24 * 3600 * 1000;
const KEY = createSecretKey(Buffer.from(requiredEnv('JWT_SECRET'), 'utf8'));
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const API_TOKEN_PREFIX = 'acs_pat_';
const API_TOKEN_FORMAT = /^acs_pat_[0-9A-Za-z]{36}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const pool = new pg.Pool({ connectionString: requiredEnv('DATABASE_URL'), max: Number(process.env.DB_POOL_MAX ?? 10) });
const app = Fastify({ logger: false, bodyLimit: 100 * 1024 });

interface Principal {
  userId: number;
  isAdmin: boolean;
  accountScope: number | null;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _req, reply) => {
  const statusCode = error instanceof HttpError ? error.statusCode : (error.statusCode ?? 500);
  if (statusCode >= 500) console.error(error);
  void reply.code(statusCode).send({ statusCode, code: error instanceof HttpError ? error.code : 'INTERNAL', message: error.message });
});

// ---------------------------------------------------------------------------------------------
// Login: the user by email, argon2id off the event loop, then the session and lastLoginAt in one
// statement, and an HS256 access JWT signed with a KeyObject.

let dummyHash: Promise<string> | undefined;

app.post('/api/auth/login', async (req) => {
  const body = req.body as { email?: unknown; password?: unknown } | undefined;
  const email = body?.email;
  const password = body?.password;
  if (typeof email !== 'string' || typeof password !== 'string') throw new HttpError(400, 'VALIDATION_FAILED', 'email and password are required');
  const { rows } = await pool.query(
    `SELECT id, email, password_hash, first_name, last_name, is_admin, status, email_verified_at, created_at, updated_at
       FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  const user = rows[0];
  let matches = false;
  if (user?.password_hash) {
    matches = await verifyPassword(user.password_hash, password).catch(() => false);
  } else {
    dummyHash ??= hash(randomBytes(16).toString('hex'), ARGON2_OPTIONS);
    await verifyPassword(await dummyHash, password).catch(() => false);
  }
  if (!user || !matches || user.status !== 'active') throw new HttpError(401, 'INVALID_CREDENTIALS', 'Invalid email or password');

  const now = new Date();
  const sessionId = randomUUID();
  const refreshToken = 'acs_rt_' + randomBytes(32).toString('base64url');
  const agent = req.headers['user-agent'];
  await pool.query(
    `WITH s AS (
       INSERT INTO sessions (id, user_id, family_id, refresh_token_hash, created_at, last_used_at, expires_at, user_agent, ip)
       VALUES ($2, $1, $2, $3, $4, $4, $5, $6, $7))
     UPDATE users SET last_login_at = $4 WHERE id = $1`,
    [user.id, sessionId, sha256Hex(refreshToken), now, new Date(now.getTime() + REFRESH_TTL_MS), typeof agent === 'string' ? agent.slice(0, 512) : null, req.ip],
  );
  user.last_login_at = now;
  const iat = Math.floor(now.getTime() / 1000);
  const accessToken = jwt.sign({ sid: sessionId, iat, exp: iat + ACCESS_TTL }, KEY, {
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: 'at+jwt' },
    subject: String(user.id),
    issuer: ISSUER,
    audience: AUDIENCE,
  });
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TTL, user: toUser(user) };
});

// ---------------------------------------------------------------------------------------------
// Authentication: an access JWT (verified with a KeyObject, then session and user in one query)
// or an API token (format and checksum, then one lookup by its SHA-256).

function bearer(req: FastifyRequest): string {
  const header = req.headers.authorization;
  const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
  if (!token) throw new HttpError(401, 'UNAUTHENTICATED', 'A bearer token is required');
  return token;
}

function accessClaims(token: string): { userId: number; sessionId: string } {
  try {
    const { header, payload } = jwt.verify(token, KEY, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, complete: true });
    const claims = payload as jwt.JwtPayload;
    if ((header as { typ?: string }).typ === 'at+jwt' && typeof claims.sid === 'string' && UUID.test(claims.sid) && /^[1-9]\d{0,9}$/.test(claims.sub ?? '')) {
      return { userId: Number(claims.sub), sessionId: claims.sid };
    }
  } catch {
    // fall through
  }
  throw new HttpError(401, 'UNAUTHENTICATED', 'The access token is not valid');
}

async function authenticate(req: FastifyRequest): Promise<Principal> {
  const token = bearer(req);
  if (token.startsWith(API_TOKEN_PREFIX)) return apiToken(token);
  const { userId, sessionId } = accessClaims(token);
  const { rows } = await pool.query(
    `SELECT u.is_admin FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.status = 'active'`,
    [sessionId, userId, new Date()],
  );
  if (!rows[0]) throw new HttpError(401, 'UNAUTHENTICATED', 'The access token is not valid');
  return { userId, isAdmin: rows[0].is_admin, accountScope: null };
}

async function apiToken(token: string): Promise<Principal> {
  const random = token.slice(API_TOKEN_PREFIX.length, -6);
  if (!API_TOKEN_FORMAT.test(token) || checksum(random) !== token.slice(-6)) throw new HttpError(401, 'UNAUTHENTICATED', 'The access token is not valid');
  const now = new Date();
  const { rows } = await pool.query(
    `SELECT t.id, t.user_id, t.account_id, t.last_used_at, t.restrictions, u.is_admin
       FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.status = 'active'`,
    [sha256Hex(token), now],
  );
  const row = rows[0];
  // The reference serves unrestricted tokens only (the benchmark's); the service checks allowlists.
  if (!row || row.restrictions?.ipAllowlist) throw new HttpError(401, 'UNAUTHENTICATED', 'The access token is not valid');
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= 60_000) {
    pool
      .query(`UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`, [row.id, now, new Date(now.getTime() - 60_000)])
      .catch(() => undefined);
  }
  return { userId: row.user_id, isAdmin: row.is_admin, accountScope: row.account_id };
}

function checksum(random: string): string {
  let n = crc32(random);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// me: session, user and memberships in one query.

app.get('/api/auth/me', async (req) => {
  const token = bearer(req);
  if (token.startsWith(API_TOKEN_PREFIX)) throw new HttpError(400, 'UNSUPPORTED', 'The reference serves me for access JWTs only');
  const { userId, sessionId } = accessClaims(token);
  const { rows } = await pool.query(
    `SELECT u.id, u.email, u.first_name, u.last_name, u.is_admin, u.status, u.email_verified_at, u.last_login_at, u.created_at, u.updated_at,
            (SELECT coalesce(json_agg(json_build_object('accountId', m.account_id, 'accountName', a.name, 'roles', m.roles, 'status', m.status)
                                      ORDER BY m.account_id), '[]')
               FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = u.id) AS memberships
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.status = 'active'`,
    [sessionId, userId, new Date()],
  );
  if (!rows[0]) throw new HttpError(401, 'UNAUTHENTICATED', 'The access token is not valid');
  return { ...toUser(rows[0]), memberships: rows[0].memberships };
});

// ---------------------------------------------------------------------------------------------
// One account: the account and the caller's membership in one query.

const ACCOUNT_COLUMNS = `a.id, a.slug, a.name, a.description, a.primary_contact, a.type, a.status, a.disabled_reason,
  a.country, a.plan, a.metadata, a.settings, a.created_at, a.updated_at`;

app.get('/api/accounts/:idOrName', async (req) => {
  const principal = await authenticate(req);
  const { idOrName } = req.params as { idOrName: string };
  const byId = /^\d{1,10}$/.test(idOrName);
  if (byId && (Number(idOrName) < 1 || Number(idOrName) > 2_147_483_647)) throw accountNotFound();
  const { rows } = await pool.query(
    `SELECT ${ACCOUNT_COLUMNS}, m.roles
       FROM accounts a LEFT JOIN memberships m ON m.account_id = a.id AND m.user_id = $2 AND m.status = 'active'
      WHERE ${byId ? 'a.id = $1::int' : 'lower(a.name) = lower($1)'}`,
    [idOrName, principal.userId],
  );
  const row = rows[0];
  if (!row || (principal.accountScope && principal.accountScope !== row.id) || (!principal.isAdmin && !row.roles)) throw accountNotFound();
  if (row.status === 'disabled' && !principal.isAdmin) throw new HttpError(403, 'ACCOUNT_DISABLED', 'The account is disabled');
  return toAccount(row);
});

// ---------------------------------------------------------------------------------------------
// Members of an account: the access check, then the page with the count in one query.

const MEMBER_FIELDS: Fields = {
  id: { column: 'u.id', type: 'integer' },
  email: { column: 'u.email', type: 'string' },
  firstName: { column: 'u.first_name', type: 'string' },
  lastName: { column: 'u.last_name', type: 'string' },
  status: { column: 'm.status', type: 'string' },
  createdAt: { column: 'm.created_at', type: 'datetime' },
};

app.get('/api/accounts/:id/users', async (req) => {
  const principal = await authenticate(req);
  const accountId = Number((req.params as { id: string }).id);
  if (!Number.isInteger(accountId) || accountId < 1 || accountId > 2_147_483_647) throw accountNotFound();
  if (principal.accountScope && principal.accountScope !== accountId) throw accountNotFound();
  const { rows: access } = await pool.query(
    `SELECT a.status, m.roles FROM accounts a
       LEFT JOIN memberships m ON m.account_id = a.id AND m.user_id = $2 AND m.status = 'active'
      WHERE a.id = $1`,
    [accountId, principal.userId],
  );
  if (!access[0] || (!principal.isAdmin && !access[0].roles)) throw accountNotFound();
  if (access[0].status === 'disabled' && !principal.isAdmin) throw new HttpError(403, 'ACCOUNT_DISABLED', 'The account is disabled');

  const params: unknown[] = [accountId];
  const query = listQuery(req.query as Record<string, unknown>, MEMBER_FIELDS, params, 'm.id');
  const where = `m.account_id = $1 AND (${query.where})`;
  const from = 'memberships m JOIN users u ON u.id = m.user_id';
  const { rows } = await pool.query(
    `SELECT u.id, u.email, u.first_name, u.last_name, m.roles, m.status, m.created_at, (${boundedCountSql(from, where)}) AS total
       FROM ${from} WHERE ${where} ORDER BY m.id ASC LIMIT ${query.limit} OFFSET ${query.offset}`,
    params,
  );
  return {
    value: rows.map((r) => ({
      id: r.id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      roles: r.roles,
      status: r.status,
      createdAt: r.created_at.toISOString(),
    })),
    count: await countOfPage(run, rows, query, from, where, params),
  };
});

/** The bounded count of the service (exact up to its limit, else the planner's estimate), on the pool. */
const run = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rows;

// ---------------------------------------------------------------------------------------------
// The filtered accounts list: every account for a platform admin, the caller's active accounts for
// anyone else; the page with the count in one query. A deep page walks the ids first and fetches
// the 20 rows after (a deferred join), as the service does.

const ACCOUNT_FIELDS: Fields = {
  id: { column: 'a.id', type: 'integer' },
  name: { column: 'a.name', type: 'string' },
  description: { column: 'a.description', type: 'string' },
  status: { column: 'a.status', type: 'string' },
  type: { column: 'a.type', type: 'string' },
  country: { column: 'a.country', type: 'string' },
  plan: { column: 'a.plan', type: 'string' },
  createdAt: { column: 'a.created_at', type: 'datetime' },
  updatedAt: { column: 'a.updated_at', type: 'datetime' },
};
const DEFERRED_JOIN_OFFSET = 1000;

app.get('/api/accounts', async (req) => {
  const principal = await authenticate(req);
  const params: unknown[] = [];
  let from = 'accounts a';
  const scope: string[] = [];
  if (!principal.isAdmin) {
    params.push(principal.userId);
    from += ` JOIN memberships m ON m.account_id = a.id AND m.user_id = $${params.length} AND m.status = 'active'`;
    scope.push(`a.status = 'active'`);
  }
  if (principal.accountScope) {
    params.push(principal.accountScope);
    scope.push(`a.id = $${params.length}`);
  }
  const query = listQuery(req.query as Record<string, unknown>, ACCOUNT_FIELDS, params, 'a.id');
  const where = [...scope, `(${query.where})`].join(' AND ');
  const countSql = boundedCountSql(from, where);
  const page = `ORDER BY a.id ASC LIMIT ${query.limit} OFFSET ${query.offset}`;
  const { rows } = await pool.query(
    query.offset >= DEFERRED_JOIN_OFFSET
      ? `SELECT ${ACCOUNT_COLUMNS}, (${countSql}) AS total
           FROM accounts a JOIN (SELECT a.id FROM ${from} WHERE ${where} ${page}) p ON p.id = a.id ORDER BY a.id ASC`
      : `SELECT ${ACCOUNT_COLUMNS}, (${countSql}) AS total FROM ${from} WHERE ${where} ${page}`,
    params,
  );
  return { value: rows.map(toAccount), count: await countOfPage(run, rows, query, from, where, params) };
});

// ---------------------------------------------------------------------------------------------
// A small OData subset, enough for the benchmark's queries: comparisons, `in`, contains /
// startswith / endswith (on a field or tolower(field)) joined by `and`; order by the id only.

type Fields = Record<string, { column: string; type: 'string' | 'integer' | 'datetime' }>;
const CASTS = { string: 'text', integer: 'int', datetime: 'timestamptz' } as const;
const OPERATORS: Record<string, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };
const LITERAL = `'(?:[^']|'')*'|-?\\d+|\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z`;
const FIELD = `tolower\\((\\w+)\\)|(\\w+)`;
const COMPARE = new RegExp(`^(?:${FIELD}) (eq|ne|gt|ge|lt|le) (${LITERAL})$`);
const IN_LIST = new RegExp(`^(\\w+) in \\(((?:${LITERAL})(?:, ?(?:${LITERAL}))*)\\)$`);
const MATCH = new RegExp(`^(contains|startswith|endswith)\\((?:${FIELD}), ?(${LITERAL})\\)$`);

function listQuery(query: Record<string, unknown>, fields: Fields, params: unknown[], tiebreak: string) {
  const limit = count(query.$top, 20, 100);
  const offset = count(query.$skip, 0, 1_000_000);
  if (query.$orderby !== undefined) throw new HttpError(400, 'INVALID_FILTER', 'The reference orders by id only');
  const filter = typeof query.$filter === 'string' && query.$filter.trim() !== '' ? query.$filter : undefined;
  const conditions = filter === undefined ? ['TRUE'] : filter.split(' and ').map((c) => condition(c.trim(), fields, params));
  return { where: conditions.length === 1 ? conditions[0] : `(${conditions.join(' AND ')})`, limit, offset, tiebreak };
}

function condition(text: string, fields: Fields, params: unknown[]): string {
  const param = (value: unknown, cast: string) => `$${params.push(value)}::${cast}`;
  const column = (lower: string | undefined, plain: string | undefined) => {
    const spec = fields[(lower ?? plain)!];
    if (!spec || !Object.hasOwn(fields, (lower ?? plain)!)) throw new HttpError(400, 'INVALID_FILTER', `Unknown field in '${text}'`);
    return { sql: lower ? `lower(${spec.column})` : spec.column, type: lower ? ('string' as const) : spec.type };
  };
  let m = COMPARE.exec(text);
  if (m) {
    const field = column(m[1], m[2]);
    return `${field.sql} ${OPERATORS[m[3]]} ${param(literal(m[4], field.type), CASTS[field.type])}`;
  }
  m = IN_LIST.exec(text);
  if (m) {
    const field = column(undefined, m[1]);
    const items = m[2].match(new RegExp(LITERAL, 'g'))!;
    return `${field.sql} IN (${items.map((item) => param(literal(item, field.type), CASTS[field.type])).join(', ')})`;
  }
  m = MATCH.exec(text);
  if (m) {
    const field = column(m[2], m[3]);
    const value = literal(m[4], 'string') as string;
    const escaped = value.replace(/[\\%_]/g, '\\$&');
    const pattern = m[1] === 'contains' ? `%${escaped}%` : m[1] === 'startswith' ? `${escaped}%` : `%${escaped}`;
    return `${field.sql} LIKE ${param(pattern, 'text')} ESCAPE '\\'`;
  }
  throw new HttpError(400, 'INVALID_FILTER', `The reference does not understand '${text}'`);
}

function literal(text: string, type: 'string' | 'integer' | 'datetime'): unknown {
  if (type === 'string' && text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  if (type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
  if (type === 'datetime' && /^\d{4}-/.test(text)) return new Date(text);
  throw new HttpError(400, 'INVALID_FILTER', `Cannot compare a ${type} field with ${text}`);
}

function count(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) > max) throw new HttpError(400, 'VALIDATION_FAILED', 'Bad $top or $skip');
  return Number(value);
}

// ---------------------------------------------------------------------------------------------

function toUser(u: Record<string, any>) {
  return {
    id: u.id,
    email: u.email,
    firstName: u.first_name,
    lastName: u.last_name,
    isAdmin: u.is_admin,
    status: u.status,
    emailVerifiedAt: u.email_verified_at?.toISOString() ?? null,
    lastLoginAt: u.last_login_at?.toISOString() ?? null,
    createdAt: u.created_at.toISOString(),
    updatedAt: u.updated_at.toISOString(),
  };
}

function toAccount(r: Record<string, any>) {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    description: r.description,
    primaryContact: r.primary_contact,
    type: r.type,
    status: r.status,
    disabledReason: r.disabled_reason,
    country: r.country,
    plan: r.plan,
    metadata: r.metadata,
    settings: r.settings,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function accountNotFound(): HttpError {
  return new HttpError(404, 'ACCOUNT_NOT_FOUND', 'Account not found');
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

app.get('/health/live', async (_req, reply: FastifyReply) => reply.send({ status: 'ok' }));

const shutdown = () => {
  void app.close().then(() => pool.end()).finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3001) });
