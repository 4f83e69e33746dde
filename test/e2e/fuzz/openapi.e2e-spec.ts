import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import {
  addMembership,
  createAccount,
  createAccountMember,
  createApiToken,
  createInvitation,
  createPlatformAdmin,
  type TestUser,
  tokenFor,
} from '../../factories/account.factory.js';
import { startSmtpServer, type TestSmtpServer } from '../../setup/smtp.js';
import { type Reply, startTestApp, type TestApp } from '../../setup/test-app.js';

/**
 * Fuzzes every operation of the app's own OpenAPI document (`GET /docs-json`) with fast-check:
 * bodies built from the operation's schema (valid-ish, wrongly typed, oversized, extra keys,
 * missing keys, unicode edge cases, not JSON at all), odd path parameters and list queries, as a
 * platform admin, a plain member and anonymously. No answer may be a 5xx, and every error body
 * has the documented shape: `{statusCode, code, message, details?}` with `statusCode` equal to
 * the HTTP status, or `{error, message}` on the `/v1` surface (seed 002).
 *
 * Bounded and reproducible in CI: `FUZZ_RUNS` cases per operation (default 20) and `FUZZ_SEED`
 * (default fixed). A long run: `FUZZ_RUNS=500 FUZZ_SEED=random npm run fuzz`.
 */
const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 20));
/** `FUZZ_SEED=random` picks one (printed at the end) for exploratory runs. */
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 20261125);
const TIMEOUT = 60_000 + RUNS * 2_000;

// ---------------------------------------------------------------------------------------------
// The OpenAPI document, as far as the fuzzer reads it.

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  responses: string[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; responses?: Record<string, unknown> }>>;
  components: { schemas: Record<string, Schema> };
}

/** Headers the document lists that the fuzzer never sends: `x-test-fault` makes a creation fail on purpose (test environment only). */
const NEVER_SENT_HEADERS = ['x-test-fault'];

// ---------------------------------------------------------------------------------------------
// Nasty values.

/** Strings PostgreSQL, JSON, URLs or humans find hard. */
const EDGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDC00y',
  '\uDBFF\uDFFF',
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  'שלום',
  '😀👩‍👩‍👧‍👦🏳️‍🌈',
  'e\u0301',
  '\uFEFF',
  '\u200B\u200D',
  'Ω≈ç√∫',
  '%00',
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  '\\',
  '"',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '\r\n',
  '../../etc/passwd',
  'null',
  'true',
  '0',
  '-1',
  'NaN',
  '1e309',
];

const edgeString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE_STRINGS).chain((s) => fc.integer({ min: 2, max: 3000 }).map((n) => s.repeat(n).slice(0, 6000) || 'x'.repeat(n))) },
  { weight: 1, arbitrary: fc.integer({ min: 255, max: 20_000 }).map((n) => 'a'.repeat(n)) },
);

const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -1, 1.5, -0.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 1, 2 ** 63, 1e20, 1e308, -1e308, Number.MIN_VALUE),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any value of a type the schema did not ask for. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  edgeString,
  edgeNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.oneof(edgeString, edgeNumber), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(edgeString, edgeNumber), { maxKeys: 4 }),
  fc.constant(JSON.parse('{"__proto__": {"isAdmin": true}}')),
  fc.constant({ constructor: { prototype: { isAdmin: true } } }),
);

// ---------------------------------------------------------------------------------------------
// Values from a schema.

function resolve(schema: Schema | undefined, doc: OpenApiDocument): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10; i++) {
    if (s.$ref) s = { ...doc.components.schemas[s.$ref.split('/').pop()!], ...(s.nullable && { nullable: true }) };
    else if (s.allOf?.length === 1) s = { ...s, ...resolve(s.allOf[0], doc), allOf: undefined, ...(s.nullable && { nullable: true }) };
    else break;
  }
  return s;
}

/** A value the schema accepts, or close to it (examples, bounds, a valid email...). */
function validValue(schema: Schema | undefined, doc: OpenApiDocument, ids: IdPools, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  const options: fc.Arbitrary<unknown>[] = [];
  if (s.example !== undefined) options.push(fc.constant(s.example));
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'string': {
      const max = Math.min(s.maxLength ?? 60, 60);
      const min = Math.min(s.minLength ?? 0, max);
      if (s.format === 'email') options.push(fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 254)), fc.constantFrom(...ids.emails));
      else if (s.format === 'password') options.push(fc.string({ minLength: 8, maxLength: 40 }), fc.constant('correct-horse-battery-staple'));
      else if (s.format === 'date-time') options.push(fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString()));
      else options.push(fc.string({ minLength: Math.max(min, 1), maxLength: Math.max(max, 1) }), fc.string({ unit: 'grapheme', minLength: Math.max(min, 1), maxLength: Math.max(max, 1) }));
      break;
    }
    case 'integer':
    case 'number':
      options.push(fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 1000 }), fc.constantFrom(...ids.numbers));
      break;
    case 'boolean':
      options.push(fc.boolean());
      break;
    case 'array':
      options.push(fc.array(validValue(s.items, doc, ids, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 5) }));
      break;
    default:
      if (s.properties || s.type === 'object') options.push(validObject(s, doc, ids, depth));
      else options.push(fc.jsonValue({ maxDepth: 2 }));
  }
  const value = fc.oneof(...options);
  return s.nullable ? fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) }) : value;
}

function validObject(s: Schema, doc: OpenApiDocument, ids: IdPools, depth: number): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const properties = s.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(properties)) model[key] = validValue(property, doc, ids, depth + 1);
  if (Object.keys(model).length === 0) {
    return s.additionalProperties ? fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }) : fc.constant({});
  }
  return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in model) }) as fc.Arbitrary<Record<string, unknown>>;
}

type Body = { kind: 'json'; value: unknown } | { kind: 'none' } | { kind: 'raw'; text: string; contentType: string };

/** A body for an operation: mostly valid-ish, often with one thing wrong. */
function bodyFor(op: Operation, doc: OpenApiDocument, ids: IdPools): fc.Arbitrary<Body> {
  const json = (value: fc.Arbitrary<unknown>) => value.map((v): Body => ({ kind: 'json', value: v }));
  const rare: fc.WeightedArbitrary<Body>[] = [
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom('{', '{"a":', 'nul', '[1,2', '{"email": "x"}}', '\u0000', '{"__proto__": {"isAdmin": true}}'),
          fc.string({ unit: 'binary', maxLength: 50 }),
        )
        .map((text): Body => ({ kind: 'raw', text, contentType: 'application/json' })),
    },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml').map((contentType): Body => ({ kind: 'raw', text: 'a=1', contentType })) },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'raw', text: JSON.stringify({ padding: 'x'.repeat(110_000) }), contentType: 'application/json' }) },
    { weight: 2, arbitrary: json(fc.jsonValue({ maxDepth: 3 })) },
  ];
  // fetch sends no body with a GET.
  if (op.method === 'GET') return fc.constant<Body>({ kind: 'none' });
  if (!op.body) return fc.oneof({ weight: 12, arbitrary: fc.constant<Body>({ kind: 'none' }) }, ...rare);

  const valid = validValue(op.body, doc, ids) as fc.Arbitrary<Record<string, unknown>>;
  const keys = Object.keys(resolve(op.body, doc).properties ?? {});
  const withWrongField =
    keys.length === 0
      ? valid
      : fc.tuple(valid, fc.constantFrom(...keys), fc.oneof(wrongValue, edgeString)).map(([value, key, bad]) => ({ ...value, [key]: bad }));
  const withEdgeStrings =
    keys.length === 0
      ? valid
      : fc.tuple(valid, fc.subarray(keys, { minLength: 1 }), edgeString).map(([value, chosen, text]) => ({
          ...value,
          ...Object.fromEntries(chosen.map((k) => [k, text])),
        }));
  const withExtraKey = fc
    .tuple(valid, fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('isAdmin', 'id', 'status', 'userId', 'roles', 'constructor', 'toString')), fc.jsonValue({ maxDepth: 1 }))
    .map(([value, key, extra]) => ({ ...value, [key]: extra }));
  const withoutKey =
    keys.length === 0 ? valid : fc.tuple(valid, fc.constantFrom(...keys)).map(([value, key]) => Object.fromEntries(Object.entries(value).filter(([k]) => k !== key)));
  return fc.oneof(
    { weight: 5, arbitrary: json(valid) },
    { weight: 5, arbitrary: json(withWrongField) },
    { weight: 4, arbitrary: json(withEdgeStrings) },
    { weight: 2, arbitrary: json(withExtraKey) },
    { weight: 2, arbitrary: json(withoutKey) },
    { weight: 1, arbitrary: json(wrongValue) },
    ...rare,
  );
}

// ---------------------------------------------------------------------------------------------
// Path parameters, queries, headers, callers.

interface IdPools {
  /** Valid-looking values by parameter role. */
  accountIds: string[];
  accountNames: string[];
  userIds: string[];
  invitationIds: string[];
  tokenIds: string[];
  sessionIds: string[];
  emails: string[];
  numbers: number[];
}

const ODD_IDS = ['0', '-1', '1.5', '2147483647', '2147483648', '9223372036854775808', '99999999999999999999999999', '1e3', '0x10', ' 1', '1 ', '+1', '007', 'abc', 'null', 'undefined', '%00', '%2F', '..', '%', '%zz', randomUUID(), '00000000-0000-0000-0000-00000000000g'];

/** Percent-encodes a path segment, lone surrogates included (as the bytes of their WTF-8 form). */
function encodeSegment(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text]
      .map((ch) => {
        try {
          return encodeURIComponent(ch);
        } catch {
          const c = ch.charCodeAt(0);
          return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
        }
      })
      .join('');
  }
}

function pathValue(op: Operation, name: string, ids: IdPools): fc.Arbitrary<string> {
  let valid: string[];
  if (name === 'idOrName') valid = [...ids.accountIds, ...ids.accountNames, ...ids.accountNames.map((n) => n.toUpperCase())];
  else if (name === 'userId') valid = ids.userIds;
  else if (name === 'invitationId') valid = ids.invitationIds;
  else if (name === 'tokenId') valid = ids.tokenIds;
  else if (op.path.startsWith('/api/tokens/')) valid = ids.tokenIds;
  else if (op.path.startsWith('/api/auth/sessions/')) valid = ids.sessionIds;
  else if (op.path.startsWith('/api/users/')) valid = ids.userIds;
  else valid = ids.accountIds;
  // Raw values are encoded here; ODD_IDS are already in their URL form.
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...valid).map(encodeSegment) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_IDS) },
    { weight: 2, arbitrary: edgeString.filter((s) => s.length > 0 && s.length < 3000).map(encodeSegment) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  );
}

const FILTERS = ["name eq 'x'", "startswith(name, 'A') and status eq 'active'", 'id gt 0', "status eq 'bogus'", 'password eq 1', "contains(email, '%')", '((((', "name eq '\u0000'"];

function queryValue(name: string): fc.Arbitrary<string | string[] | undefined> {
  const value: fc.Arbitrary<string> =
    name === '$filter' || name === '$orderby'
      ? fc.oneof(fc.constantFrom(...FILTERS, 'createdAt desc', 'name asc, id desc', 'bogus'), edgeString)
      : fc.oneof(fc.constantFrom('0', '1', '20', '100', '101', '-1', '1.5', '1e2', 'abc', '', '99999999999999999999', '1000001', ' 5'), fc.nat().map(String));
  return fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: value }, { weight: 1, arbitrary: fc.array(value, { minLength: 2, maxLength: 3 }) });
}

/** Header values fetch sends: visible ASCII and spaces (it refuses control characters). */
const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  fc.constantFrom('', ' ', 'x'.repeat(1000), 'x'.repeat(256), 'ÿÿÿ'),
);

type Caller = 'platform admin' | 'member' | 'anonymous' | 'garbage bearer';

interface Case {
  caller: Caller;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Body;
}

function caseFor(op: Operation, doc: OpenApiDocument, ids: IdPools): fc.Arbitrary<Case> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const headerParams = op.parameters.filter((p) => p.in === 'header' && !NEVER_SENT_HEADERS.includes(p.name.toLowerCase()));
  return fc.record({
    caller: fc.constantFrom<Caller>('platform admin', 'platform admin', 'member', 'member', 'anonymous', 'garbage bearer'),
    path: fc.tuple(...pathParams.map((p) => pathValue(op, p.name, ids).map((v) => [p.name, v] as const))).map((pairs) => {
      const values = Object.fromEntries(pairs);
      return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name]);
    }),
    query: fc.tuple(...queryParams.map((p) => queryValue(p.name).map((v) => [p.name, v] as const))).map((pairs) => {
      const search = new URLSearchParams();
      for (const [name, value] of pairs) for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) search.append(name, v);
      // URLSearchParams cannot carry lone surrogates: encode those values by hand.
      try {
        const text = search.toString();
        return text ? `?${text}` : '';
      } catch {
        return `?${pairs.filter(([, v]) => typeof v === 'string').map(([n, v]) => `${encodeSegment(n)}=${encodeSegment(v as string)}`).join('&')}`;
      }
    }),
    headers: fc.tuple(...headerParams.map((p) => fc.option(headerValue, { nil: undefined }).map((v) => [p.name, v] as const))).map((pairs) =>
      Object.fromEntries(pairs.filter((pair): pair is readonly [string, string] => pair[1] !== undefined)),
    ),
    body: bodyFor(op, doc, ids),
  });
}

// ---------------------------------------------------------------------------------------------
// The shape of an error answer.

const V1_ERRORS = ['invalid_request', 'email_exists', 'unauthorized'];

/** What is wrong with an answer, or undefined. */
function problemWith(op: Operation, res: Reply, errorCodes: string[]): string | undefined {
  if (res.status >= 500) return `a ${res.status}`;
  if (res.status < 400) return undefined;
  const body = res.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return `a ${res.status} without a JSON object body`;
  const keys = Object.keys(body).sort();
  if (op.path.startsWith('/v1/')) {
    if (keys.join() !== 'error,message') return `a /v1 error with keys ${keys.join()} (want error, message)`;
    if (!V1_ERRORS.includes(body.error as string)) return `a /v1 error named '${String(body.error)}'`;
    if (typeof body.message !== 'string') return 'a /v1 error without a message';
    return undefined;
  }
  const allowed = ['code', 'details', 'message', 'statusCode'];
  const extra = keys.filter((k) => !allowed.includes(k));
  if (extra.length > 0) return `an error with extra keys ${extra.join()}`;
  if (body.statusCode !== res.status) return `statusCode ${String(body.statusCode)} in a ${res.status} answer`;
  if (typeof body.code !== 'string' || !errorCodes.includes(body.code)) return `an unknown error code '${String(body.code)}'`;
  if (typeof body.message !== 'string' || body.message.length === 0) return 'an error without a message';
  if (body.details !== undefined) {
    const details = body.details;
    if (!Array.isArray(details) || !details.every((d) => d && typeof d.field === 'string' && typeof d.problem === 'string' && Object.keys(d).length === 2)) {
      return `malformed details ${JSON.stringify(details).slice(0, 200)}`;
    }
  }
  if (/QueryFailedError|\bat [\w.<>]+ \(|SELECT |INSERT |UPDATE /.test(body.message as string)) return `a message that leaks internals: ${(body.message as string).slice(0, 200)}`;
  return undefined;
}

const short = (value: unknown, max = 300) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
};

// ---------------------------------------------------------------------------------------------
// `$filter` grammar (SPEC "List queries", on the account fields).

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
const STRING_FIELDS = ['name', 'description', 'country', 'plan'];
const ENUM_FIELDS: Record<string, string[]> = { status: ['active', 'disabled'], type: ['individual', 'business'] };
const DATETIME_FIELDS = ['createdAt', 'updatedAt'];
const ALL_FIELDS = ['id', ...STRING_FIELDS, ...Object.keys(ENUM_FIELDS), ...DATETIME_FIELDS];

const stringLiteral = fc
  .string({ maxLength: 12, unit: fc.constantFrom(...'abcXYZ019 %_\\\'"*éß', '😀', 'ـ', '\u202E') })
  .map(quote);
const intLiteral = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0, 1, -1, 2 ** 31 - 1)).map(String);
const datetimeLiteral = fc.oneof(
  fc.date({ noInvalidDate: true, min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z') }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true, min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z') }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('2026-01-02T03:04:05+02:00', '2026-01-02T03:04Z', '2026-06-30T23:59:59.999999999Z'),
);
const comparison = fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le');
const caseOf = (field: string) => fc.constantFrom(field, `tolower(${field})`, `toupper(${field})`);
const list = (item: fc.Arbitrary<string>) => fc.array(item, { minLength: 1, maxLength: 5 }).map((items) => `(${items.join(', ')})`);

/** One condition that is well typed for its field: the service must answer 200. */
const condition: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom(...STRING_FIELDS).chain(caseOf), comparison, stringLiteral, fc.boolean()).map(([f, op, v, swap]) => (swap ? `${v} ${op} ${f}` : `${f} ${op} ${v}`)),
  fc.tuple(comparison, intLiteral).map(([op, v]) => `id ${op} ${v}`),
  fc.tuple(fc.constantFrom(...DATETIME_FIELDS), comparison, datetimeLiteral).map(([f, op, v]) => `${f} ${op} ${v}`),
  fc.constantFrom(...Object.keys(ENUM_FIELDS)).chain((f) => fc.tuple(fc.constantFrom('eq', 'ne'), fc.constantFrom(...ENUM_FIELDS[f])).map(([op, v]) => `${f} ${op} '${v}'`)),
  fc.tuple(fc.constantFrom(...ALL_FIELDS), fc.constantFrom('eq', 'ne')).map(([f, op]) => `${f} ${op} null`),
  fc.tuple(fc.constantFrom(...STRING_FIELDS), list(stringLiteral)).map(([f, items]) => `${f} in ${items}`),
  list(intLiteral).map((items) => `id in ${items}`),
  fc.constantFrom(...Object.keys(ENUM_FIELDS)).chain((f) => list(fc.constantFrom(...ENUM_FIELDS[f]).map(quote)).map((items) => `${f} in ${items}`)),
  fc.tuple(fc.constantFrom('contains', 'startswith', 'endswith'), fc.constantFrom(...STRING_FIELDS).chain(caseOf), stringLiteral).map(([fn, f, v]) => `${fn}(${f}, ${v})`),
);

/** A well-typed filter of conditions under not / and / or / parentheses, at most 3 levels deep. */
const wellTyped: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition,
    tie('expr').map((e) => `not (${e})`),
    fc.tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    fc.tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`),
  ),
})).expr.filter((text) => depthOf(text) <= 8 && text.length <= 2000);

/** Parentheses nesting plus logical operators, an upper bound of the parser's depth. */
function depthOf(text: string): number {
  let depth = 0;
  let max = 0;
  for (const ch of text) {
    if (ch === '(') max = Math.max(max, ++depth);
    if (ch === ')') depth--;
  }
  return max + (text.match(/\b(and|or|not)\b/g)?.length ?? 0) / 2;
}

/** Tokens of the grammar and around it, strung together in any order. */
const filterToken: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ALL_FIELDS, 'email', 'password', 'password_hash', 'a.id', '__proto__', 'constructor', 'ID', 'Name', 'isAdmin', 'roles', 'x') },
  { weight: 4, arbitrary: fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not', 'in', 'EQ', 'And', 'asc', 'desc', 'has', 'like', '=', '==', '!=', '<', '>', '&&', '||') },
  { weight: 4, arbitrary: fc.oneof(stringLiteral, intLiteral, datetimeLiteral, fc.constantFrom('null', 'true', 'false', '1.5', '-0', '1e3', '99999999999999999999', "'", "''", "'unterminated", '2026-13-45', '2026-02-30T25:61:61Z', '0x1F')) },
  { weight: 3, arbitrary: fc.constantFrom('(', ')', ',', '((', '))', '()') },
  { weight: 2, arbitrary: fc.constantFrom('contains', 'startswith', 'endswith', 'tolower', 'toupper', 'substringof', 'length', 'now()') },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(';', '--', '/*', '*/', '\\', '%', '_', '$', '@', '#', '\u0000', '\uD800', '😀', '\u202E', '\t', '\n'), fc.string({ unit: 'binary', maxLength: 4 })) },
);
const tokenSoup: fc.Arbitrary<string> = fc.tuple(fc.array(filterToken, { minLength: 1, maxLength: 30 }), fc.constantFrom(' ', ' ', '')).map(([tokens, sep]) => tokens.join(sep));

/** A query string value, lone surrogates encoded by hand (URLSearchParams cannot carry them). */
const queryOf = (name: string, value: string) => `${encodeSegment(name)}=${encodeSegment(value)}`;

// ---------------------------------------------------------------------------------------------

describe('fuzzing the OpenAPI operations', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let doc: OpenApiDocument;
  let operations: Operation[];
  let errorCodes: string[];
  const fixture = {} as { admin: TestUser; member: TestUser; accountId: number; accountName: string; ids: IdPools };
  const totals = { cases: 0, fiveXx: 0, problems: 0, undocumented: new Map<string, number>(), statuses: new Map<number, number>() };

  async function build(): Promise<void> {
    const admin = await createPlatformAdmin(t);
    const { account, owner } = await createAccount(t);
    const member = await createAccountMember(t, account.id, ['user']);
    const invitation = await createInvitation(t, account.id, ['viewer'], owner.user.id);
    const apiToken = await createApiToken(t, member.user.id, account.id);
    const sessions: { id: string }[] = await t.db.query(`SELECT id FROM sessions WHERE user_id = $1`, [member.user.id]);
    Object.assign(fixture, {
      admin,
      member,
      accountId: account.id,
      accountName: account.name,
      ids: {
        accountIds: [String(account.id)],
        accountNames: [account.name],
        userIds: [member.user.id, owner.user.id, admin.user.id, invitation.user.id].map(String),
        invitationIds: [String(invitation.invitation.id)],
        tokenIds: [apiToken.id],
        sessionIds: [...sessions.map((s) => s.id), randomUUID()],
        emails: [member.user.email, owner.user.email.toUpperCase(), invitation.user.email],
        numbers: [account.id, member.user.id, owner.user.id, invitation.invitation.id],
      },
    });
  }

  /** Puts back what a fuzzed call may have changed: the callers' rights, sessions and account. */
  async function heal(): Promise<void> {
    const { admin, member, accountId } = fixture;
    const [state] = await t.db.query(
      `SELECT (SELECT is_admin AND status = 'active' FROM users WHERE id = $1) AS admin_ok,
              (SELECT status = 'active' FROM users WHERE id = $2) AS member_ok,
              (SELECT count(*)::int FROM accounts WHERE id = $3 AND status = 'active') AS account_ok,
              (SELECT count(*)::int FROM memberships WHERE account_id = $3 AND user_id = $2 AND status = 'active' AND roles = '{user}') AS membership_ok`,
      [admin.user.id, member.user.id, accountId],
    );
    if (state.admin_ok === null || state.member_ok === null || state.account_ok === 0) {
      await build(); // a user or the account was deleted: start over
      return;
    }
    if (!state.admin_ok || !state.member_ok) {
      await t.db.query(`UPDATE users SET status = 'active', is_admin = (id = $1) WHERE id IN ($1, $2)`, [admin.user.id, member.user.id]);
    }
    if (state.membership_ok === 0) {
      await t.db.query(`DELETE FROM memberships WHERE account_id = $1 AND user_id = $2`, [accountId, member.user.id]);
      await addMembership(t, accountId, member.user.id, ['user']);
    }
    const live: { user_id: number }[] = await t.db.query(
      `SELECT user_id FROM sessions WHERE id IN ($1, $2) AND revoked_at IS NULL`,
      [sessionOf(admin.token), sessionOf(member.token)],
    );
    if (!live.some((s) => s.user_id === admin.user.id)) admin.token = await tokenFor(t, admin.user);
    if (!live.some((s) => s.user_id === member.user.id)) member.token = await tokenFor(t, member.user);
  }

  const sessionOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).sid;

  function tokenOf(caller: Caller): string | undefined {
    if (caller === 'platform admin') return fixture.admin.token;
    if (caller === 'member') return fixture.member.token;
    if (caller === 'garbage bearer') return 'acs_pat_0000000000000000000000000000000000000000';
    return undefined;
  }

  async function send(op: Operation, c: Case): Promise<Reply> {
    const options = { token: tokenOf(c.caller), headers: c.headers };
    const path = c.path + c.query;
    if (c.body.kind === 'none') return t.http.request(op.method, path, undefined, options);
    if (c.body.kind === 'raw') return t.http.request(op.method, path, undefined, { ...options, raw: c.body.text, contentType: c.body.contentType });
    return t.http.request(op.method, path, undefined, { ...options, raw: JSON.stringify(c.body.value), contentType: 'application/json' });
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50' });
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body;
    errorCodes = (doc.components.schemas.ErrorCode?.enum as string[] | undefined) ?? [];
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          parameters: [...((item as { parameters?: Parameter[] }).parameters ?? []), ...(op.parameters ?? [])],
          body: op.requestBody?.content?.['application/json']?.schema,
          responses: Object.keys(op.responses ?? {}),
        })),
    );
    await build();
  }, 120_000); // booting on the embedded database is slow on a busy machine

  afterAll(async () => {
    // Statuses the document does not list for an operation, as status -> operations.
    const undocumented: Record<string, string[]> = {};
    for (const key of totals.undocumented.keys()) {
      const status = key.split(' ').pop()!;
      (undocumented[status] ??= []).push(key.slice(0, -status.length - 1));
    }
    console.info(
      `openapi fuzz: ${operations?.length ?? 0} operations, ${totals.cases} cases (seed ${SEED}, ${RUNS} per operation), ` +
        `${totals.fiveXx} answers 5xx, ${totals.problems} malformed answers; statuses ${JSON.stringify(Object.fromEntries(totals.statuses))}; ` +
        `undocumented statuses: ${Object.entries(undocumented)
          .map(([status, ops]) => `${status} on ${ops.length} operations${ops.length <= 3 ? ` (${ops.join(', ')})` : ''}`)
          .join('; ')}`,
    );
    await t?.close();
    await smtp?.close();
  });

  it('the document names the error codes and has the operations of SPEC', () => {
    expect(errorCodes).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'INVALID_FILTER', 'UNAUTHENTICATED', 'UNAUTHORIZED', 'ACCOUNT_NOT_FOUND', 'LAST_OWNER', 'INTERNAL']));
    expect(operations.length).toBeGreaterThan(40);
  });

  /**
   * Reproductions of what the fuzzer found, one request each, so that a fix shows here by name.
   * (The fuzz test below finds them again among its cases.)
   */
  describe('findings', () => {
    const expectDocumentedError = (op: Pick<Operation, 'path'>, res: Reply) =>
      expect({ status: res.status, problem: problemWith(op as Operation, res, errorCodes) ?? 'none', body: res.body }).toEqual({
        status: res.status,
        problem: 'none',
        body: res.body,
      });

    it('a lone surrogate in an email answers 400 VALIDATION_FAILED, not 500 (validator.isEmail threw URIError)', async () => {
      const login = await t.http.request('POST', '/api/auth/login', undefined, { raw: '{"email":"x\\udc00y@example.com","password":"correct-horse-battery-staple"}' });
      expect({ status: login.status, code: login.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      const v1 = await t.http.request('POST', '/v1/accounts', undefined, {
        raw: '{"email":"\\ud800@example.com","name":"n","type":"business","password":"correct-horse-battery-staple"}',
      });
      expect(v1).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      const add = await t.http.request('POST', `/api/accounts/${fixture.accountId}/users`, undefined, {
        token: fixture.admin.token,
        raw: '{"email":"\\ud800","roles":["viewer"]}',
      });
      expect({ status: add.status, code: add.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    });

    it('a path parameter longer than the router allows answers in the documented error shape (not Fastify\'s FST_ERR_MAX_PARAM_LENGTH body)', async () => {
      const res = await t.http.get(`/api/accounts/${'a'.repeat(300)}`, fixture.admin.token);
      expect(res.status).toBeLessThan(500);
      expectDocumentedError({ path: '/api/accounts/{idOrName}' }, res);
    });

    it('a malformed percent-encoding in the path answers in the documented error shape (not Fastify\'s FST_ERR_BAD_URL body)', async () => {
      const res = await t.http.get('/api/accounts/%', fixture.admin.token);
      expect(res.status).toBe(400);
      expectDocumentedError({ path: '/api/accounts/{idOrName}' }, res);
    });

    it('a request line over the 16 KB header limit answers 431 in the documented error shape (Node/Fastify client error body has no code)', async () => {
      const res = await t.http.get(`/api/accounts?$filter=${'a'.repeat(17_000)}`, fixture.admin.token);
      expect(res.status).toBe(431);
      expectDocumentedError({ path: '/api/accounts' }, res);
    });

    it('the document does not publish the test-only x-test-fault header, least of all as required', () => {
      const published = operations.flatMap((op) => op.parameters.filter((p) => p.name.toLowerCase() === 'x-test-fault').map((p) => `${op.method} ${op.path} (required: ${p.required ?? false})`));
      expect(published).toEqual([]);
    });
  });

  it(
    'every operation: no 5xx, and every error in the documented shape',
    async () => {
      const failures: string[] = [];
      for (const op of operations) {
        const seen = new Set<string>();
        await fc.assert(
          fc.asyncProperty(caseFor(op, doc, fixture.ids), async (c) => {
            let res: Reply;
            try {
              res = await send(op, c);
            } catch (error) {
              // The connection failed: the server crashed or hung up on the request.
              failures.push(`${op.method} ${op.path}: no answer (${(error as Error).cause ?? error})\n    request: ${c.caller} ${short(c.path + c.query, 200)} body=${short(c.body)}`);
              await heal();
              return;
            }
            totals.cases += 1;
            totals.statuses.set(res.status, (totals.statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 500) totals.fiveXx += 1;
            if (!op.responses.includes(String(res.status))) {
              const key = `${op.method} ${op.path} ${res.status}`;
              totals.undocumented.set(key, (totals.undocumented.get(key) ?? 0) + 1);
            }
            const problem = problemWith(op, res, errorCodes);
            if (problem) {
              totals.problems += 1;
              // One report per operation and kind of problem.
              const key = `${problem} ${(res.body as { code?: string })?.code ?? ''}`;
              if (!seen.has(key)) {
                seen.add(key);
                failures.push(
                  `${op.method} ${op.path}: ${problem}\n    request: ${c.caller} ${op.method} ${short(c.path + c.query, 200)} headers=${short(c.headers, 100)} ` +
                    `body=${c.body.kind === 'json' ? short(c.body.value) : c.body.kind === 'raw' ? `raw(${c.body.contentType}) ${short(c.body.text, 80)}` : 'none'}\n` +
                    `    answer: ${res.status} ${short(res.body)}`,
                );
              }
            }
            await heal();
          }),
          { seed: SEED, numRuns: RUNS },
        );
      }
      expect(failures).toEqual([]);
    },
    TIMEOUT * 10,
  );

  it('saw no status that the document does not list for its operation', () => {
    expect(totals.cases).toBeGreaterThan(operations.length * RUNS * 0.9);
    expect([...totals.undocumented.keys()]).toEqual([]);
  });

  describe('$filter grammar on GET /api/accounts', () => {
    /** The accounts the member may see: a 200 to the member lists none other, whatever the filter. */
    let visible: Set<number>;
    const tally = { cases: 0, ok: 0, invalid: 0 };

    beforeAll(async () => {
      await heal();
      const rows: { account_id: number }[] = await t.db.query(`SELECT account_id FROM memberships WHERE user_id = $1 AND status = 'active'`, [fixture.member.user.id]);
      visible = new Set(rows.map((r) => r.account_id));
      // A few accounts the member does not belong to, with names a filter may match.
      for (const name of ["O'Brien & Co", '100% real_accounts', 'ZZZ']) await createAccount(t, { fields: { name: `${name} ${randomUUID().slice(0, 6)}` } });
    });

    afterAll(() => {
      console.info(`$filter fuzz: ${tally.cases} filters, ${tally.ok} answered 200, ${tally.invalid} answered 400`);
    });

    async function list(filter: string, caller: 'platform admin' | 'member'): Promise<Reply> {
      tally.cases += 1;
      const token = caller === 'member' ? fixture.member.token : fixture.admin.token;
      return t.http.get(`/api/accounts?${queryOf('$filter', filter)}&$top=100`, token);
    }

    function checkListing(res: Reply, caller: 'platform admin' | 'member'): void {
      expect(res.body).toEqual({ value: expect.any(Array), count: expect.any(Number) });
      expect(res.body.count).toBeGreaterThanOrEqual(res.body.value.length);
      if (caller === 'member') expect(res.body.value.map((a: { id: number }) => a.id).filter((id: number) => !visible.has(id))).toEqual([]);
    }

    it('well-typed filters always answer 200, and a member never sees an account they do not belong to', async () => {
      await fc.assert(
        fc.asyncProperty(wellTyped, fc.constantFrom<'platform admin' | 'member'>('platform admin', 'member'), async (filter, caller) => {
          const res = await list(filter, caller);
          expect({ filter, status: res.status, body: res.status === 200 ? 'listing' : res.body }).toEqual({ filter, status: 200, body: 'listing' });
          tally.ok += 1;
          checkListing(res, caller);
        }),
        { seed: SEED, numRuns: RUNS * 10 },
      );
    }, TIMEOUT);

    it('any string of tokens answers 200 or 400 INVALID_FILTER (VALIDATION_FAILED only when over-long), never anything else', async () => {
      const overLong = fc.oneof(
        fc.integer({ min: 2001, max: 9000 }).map((n) => 'id eq 1 or '.repeat(Math.ceil(n / 11)).slice(0, n)),
        fc.integer({ min: 10_001, max: 12_000 }).map((n) => 'a'.repeat(n)),
        fc.integer({ min: 11, max: 60 }).map((n) => `${'('.repeat(n)}id eq 1${')'.repeat(n)}`),
        fc.integer({ min: 6, max: 30 }).map((n) => `${'not '.repeat(n)}id eq 1`),
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof({ weight: 8, arbitrary: tokenSoup }, { weight: 1, arbitrary: overLong }), fc.constantFrom<'platform admin' | 'member'>('platform admin', 'member'), async (filter, caller) => {
          const res = await list(filter, caller);
          const answer = `${res.status} ${res.body?.code ?? ''}`.trim();
          const allowed = ['200', '400 INVALID_FILTER', ...(filter.length > 2000 ? ['400 VALIDATION_FAILED'] : [])];
          expect({ filter: short(filter, 200), answer: allowed.includes(answer) ? 'allowed' : answer }).toEqual({ filter: short(filter, 200), answer: 'allowed' });
          if (res.status === 200) {
            tally.ok += 1;
            checkListing(res, caller);
          } else {
            tally.invalid += 1;
            expect(problemWith({ path: '/api/accounts' } as Operation, res, errorCodes)).toBeUndefined();
          }
        }),
        { seed: SEED, numRuns: RUNS * 10 },
      );
    }, TIMEOUT);
  });
});
