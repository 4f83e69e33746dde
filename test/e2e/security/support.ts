import { createHmac, createSign, type KeyObject } from 'node:crypto';
import type { ReceivedMail } from '../../setup/smtp.js';
import type { Reply } from '../../setup/test-app.js';

/** Helpers shared by the security suites (not a test file: Jest only runs `*.e2e-spec.ts`). */

export const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The header and claims of a JWT, decoded without any check. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string } {
  const [header, claims, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')),
    signature,
  };
}

/** A JWT whose signature is HMAC-SHA256 of its input under `key` (whatever `alg` the header claims). */
export function hmacJwt(header: Record<string, unknown>, claims: Record<string, unknown>, key: string | Buffer | KeyObject): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** A JWT signed with ECDSA P-256 / SHA-256 (JOSE signature format) under `privateKey`. */
export function es256Jwt(header: Record<string, unknown>, claims: Record<string, unknown>, privateKey: KeyObject): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  const signature = createSign('sha256').update(input).sign({ key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** A JWT with the given signature part, as is. */
export function unsignedJwt(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  return `${b64url(header)}.${b64url(claims)}.${signature}`;
}

/** The `acs_…` secret in a mail (reset, verification or invitation link), or undefined. */
export function secretIn(mail: ReceivedMail, prefix: string): string | undefined {
  return new RegExp(`[?&]token=(${prefix}[A-Za-z0-9_-]+)`).exec(mail.text)?.[1];
}

/** `[label, status, code]` of an answer, for one readable `toEqual` over many requests. */
export function outcome(label: string, res: Reply): [string, number, unknown] {
  return [label, res.status, res.body?.code];
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// ---------------------------------------------------------------------------------------------
// The app's own OpenAPI document (`GET /docs-json`), as far as the sweeps read it.

export interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
}

export interface Operation {
  method: string;
  /** As in the document: `/api/accounts/{id}/users/{userId}`. */
  path: string;
  pathParams: { name: string; schema: Schema }[];
  queryParams: { name: string; schema: Schema }[];
  /** The JSON request body's schema, resolved, or undefined. */
  body?: Schema;
  /** No bearer token needed. */
  isPublic: boolean;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema?: Schema }[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[] }>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = op.parameters ?? [];
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: resolveSchema(doc, p.schema ?? {}) })),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolveSchema(doc, p.schema ?? {}) })),
        body: bodySchema && resolveSchema(doc, bodySchema),
        isPublic: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  }
  return operations;
}

/** The schema with `$ref`s and single-element `allOf`s replaced by what they point to, all the way down. */
export function resolveSchema(doc: OpenApiDocument, schema: Schema, depth = 0): Schema {
  if (depth > 20) return schema;
  let resolved = schema;
  if (resolved.$ref) {
    const name = resolved.$ref.replace('#/components/schemas/', '');
    const { $ref: _ref, ...rest } = resolved;
    resolved = { ...doc.components?.schemas?.[name], ...rest };
  }
  if (resolved.allOf) {
    const { allOf, ...rest } = resolved;
    resolved = allOf.reduce<Schema>((merged, part) => ({ ...merged, ...resolveSchema(doc, part, depth + 1) }), rest);
  }
  const out: Schema = { ...resolved };
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, resolveSchema(doc, v, depth + 1)]));
  }
  if (out.items) out.items = resolveSchema(doc, out.items, depth + 1);
  return out;
}

/** `/api/accounts/{id}/users/{userId}` with the values filled in (each encoded as given: callers encode). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`No value for {${name}} in ${path}`);
    return values[name];
  });
}

/**
 * A body for a schema: each property from `byName` when named there, else its example, else a
 * value of its type. Used to send requests whose only fault is the one under test.
 */
export function sampleBody(schema: Schema, byName: Record<string, (schema: Schema) => unknown> = {}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, sampleValue(name, property, byName)]));
}

function sampleValue(name: string, schema: Schema, byName: Record<string, (schema: Schema) => unknown>): unknown {
  if (byName[name]) return byName[name](schema);
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'string':
      return schema.format === 'date-time' ? new Date(Date.now() + 86_400_000).toISOString() : 'x';
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return false;
    case 'array':
      return [sampleValue(name, schema.items ?? {}, byName)];
    default:
      return schema.properties ? sampleBody(schema, byName) : {};
  }
}
