import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import { AppError } from '../errors/app-error.js';
import { evaluateFilter } from './odata-eval.spec-helper.js';
import type { ComparisonOperator, FilterNode, Literal, ValueNode } from './odata-parser.js';
import { parseFilter } from './odata-parser.js';
import { type FieldMap, compileFilter } from './odata-to-sql.js';

/**
 * Random valid filters over an accounts-like table: the compiled SQL, run on an embedded
 * PostgreSQL, selects exactly the rows that the in-memory evaluator selects. The filters are
 * generated as trees, printed to OData text with as few parentheses as precedence allows, and
 * parsed again, so the parser's precedence is checked too (the evaluator reads the generated tree).
 */

const FIELDS: FieldMap = {
  id: { column: 'id', type: 'integer' },
  name: { column: 'name', type: 'string' },
  description: { column: 'description', type: 'string' },
  status: { column: 'status', type: 'string' },
  type: { column: 'type', type: 'string' },
  country: { column: 'country', type: 'string' },
  plan: { column: 'plan', type: 'string' },
  createdAt: { column: 'created_at', type: 'datetime' },
  updatedAt: { column: 'updated_at', type: 'datetime' },
  // Not an account field: a member-roles-like list, to check the array semantics against PostgreSQL.
  roles: { column: 'roles', type: 'string[]' },
};
const STRING_FIELDS = ['name', 'description', 'status', 'type', 'country', 'plan'];
const DATETIME_FIELDS = ['createdAt', 'updatedAt'];

const NAMES = [
  'Acme', 'acme', 'ACME Labs', 'Acme Corp', 'acme_corp', 'acme%corp', '100% Juice', '50%_off', 'under_score', 'a_b',
  'a%b', 'ab', 'aXb', "O'Brien & Co", "''", 'back\\slash', '\\%', 'Zoë Café', 'École', 'ÉCOLE', 'zoe', 'Globex',
  'globex', 'Initech', 'INITECH', 'Umbrella', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne', 'Soylent', 'Hooli',
  'Pied Piper', 'Vandelay', 'Monsters, Inc.', ' spaced ', 'x', 'X', '',
];
const DESCRIPTIONS = [null, 'The best', 'acme', '100%', 'under_score', "it's", null, 'ÉCOLE', 'Acme', 'x_y%z', '', '\\'];
const COUNTRIES = ['FR', 'US', null, 'DE', 'fr'];
const PLANS = ['free', 'pro', null, 'enterprise', 'Pro'];
const ROLES = [['owner', 'admin'], ['viewer'], null, [], ['admin'], ['user', null]];
const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);

interface Row {
  id: number;
  name: string;
  description: string | null;
  status: string;
  type: string;
  country: string | null;
  plan: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  roles: (string | null)[] | null;
}

const ROWS: Row[] = NAMES.map((name, i) => {
  // Midnights (for plain dates), odd milliseconds, and a few equal or missing timestamps.
  const created = i === 7 ? null : START + (i % 13) * 37 * DAY + (i % 3 === 0 ? 0 : i * 3_600_123);
  const updated = i % 5 === 0 ? null : i % 4 === 0 ? created : START + (i % 11) * 61 * DAY + i * 1_000;
  return {
    id: i + 1,
    name,
    description: DESCRIPTIONS[i % DESCRIPTIONS.length],
    status: i % 3 === 0 ? 'disabled' : 'active',
    type: i % 2 === 0 ? 'business' : 'individual',
    country: COUNTRIES[i % COUNTRIES.length],
    plan: PLANS[(i * 3) % PLANS.length],
    createdAt: created === null ? null : new Date(created),
    updatedAt: updated === null ? null : new Date(updated),
    roles: ROLES[i % ROLES.length],
  };
});

// ---- Generators of filter trees (positions are irrelevant: the evaluator ignores them) ----

// Values that occur in the rows, and fragments of them where %, _, quotes and case matter.
const VALUES = [
  ...NAMES, ...DESCRIPTIONS, ...COUNTRIES, ...PLANS,
  'active', 'disabled', 'business', 'individual', 'admin', 'owner', 'viewer', 'user',
];
const FRAGMENTS = [
  'a_b', 'a%b', '%', '_', "'", "''", '\\', '\\%', '%_', '_off', '100%', 'acme', 'ACME', 'Acme', 'co', 'Co', 'é', 'É',
  'cole', 'x', 'X', '', ' ', "O'", 'b', 'r',
];
const stringValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VALUES.filter((v): v is string => v !== null)) },
  { weight: 3, arbitrary: fc.constantFrom(...FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'aAcCeéÉ%_\'\\ xX'), maxLength: 4 }) },
);
const stringLiteral = stringValue.map((value): Literal => ({ kind: 'string', value, pos: 0 }));

const integerLiteral = fc
  .oneof(
    { weight: 5, arbitrary: fc.integer({ min: -2, max: NAMES.length + 2 }) },
    { weight: 1, arbitrary: fc.constantFrom(-2147483648, 2147483647) },
  )
  .map((value): Literal => ({ kind: 'number', value, text: String(value), integer: true, pos: 0 }));

const ROW_TIMES = ROWS.flatMap((row) => [row.createdAt, row.updatedAt]).filter((d): d is Date => d !== null).map((d) => d.getTime());
const instant = fc.oneof(
  fc.constantFrom(...ROW_TIMES),
  fc.constantFrom(...ROW_TIMES).chain((t) => fc.constantFrom(t - 1, t + 1)),
  fc.integer({ min: START - 30 * DAY, max: START + 800 * DAY }),
);
const datetimeLiteral = fc
  .tuple(instant, fc.constantFrom<'Z' | 'date' | number>('Z', 'date', 0, 60, 330, -480, 840))
  .map(([ms, zone]): Literal => {
    if (zone === 'date') {
      const text = new Date(ms).toISOString().slice(0, 10);
      return { kind: 'datetime', value: `${text}T00:00:00Z`, text, pos: 0 };
    }
    if (zone === 'Z') {
      const text = new Date(ms).toISOString();
      return { kind: 'datetime', value: text, text, pos: 0 };
    }
    // The same instant written in local time with an offset.
    const local = new Date(ms + zone * 60_000).toISOString().slice(0, 23);
    const abs = Math.abs(zone);
    const offset = `${zone < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return { kind: 'datetime', value: local + offset, text: local + offset, pos: 0 };
  });

const field = (names: string[]) => fc.constantFrom(...names).map((name): ValueNode => ({ kind: 'field', name, pos: 0 }));
const caseCall = (arg: fc.Arbitrary<ValueNode>) =>
  fc
    .tuple(fc.constantFrom<'tolower' | 'toupper'>('tolower', 'toupper'), arg)
    .map(([name, a]): ValueNode => ({ kind: 'call', name, args: [a], pos: 0 }));
// Mostly name and description, whose values are the interesting ones.
const stringField = fc.oneof({ weight: 3, arbitrary: field(['name', 'description']) }, { weight: 2, arbitrary: field(STRING_FIELDS) });
const stringExpression: fc.Arbitrary<ValueNode> = fc.oneof(
  { weight: 3, arbitrary: stringField },
  { weight: 1, arbitrary: caseCall(stringField) },
);
const operator = fc.constantFrom<ComparisonOperator>('eq', 'ne', 'gt', 'ge', 'lt', 'le');
const equality = fc.constantFrom<ComparisonOperator>('eq', 'ne');

const compare = (left: fc.Arbitrary<ValueNode>, op: fc.Arbitrary<ComparisonOperator>, right: fc.Arbitrary<ValueNode>) =>
  fc
    .tuple(left, op, right, fc.boolean())
    .map(([l, o, r, swap]): FilterNode => ({ kind: 'compare', op: o, left: swap ? r : l, right: swap ? l : r, pos: 0 }));

const inList = (operand: fc.Arbitrary<ValueNode>, item: fc.Arbitrary<Literal>) =>
  fc
    .tuple(operand, fc.array(item, { minLength: 1, maxLength: 4 }))
    .map(([o, items]): FilterNode => ({ kind: 'in', operand: o, items, pos: 0 }));

const pattern: fc.Arbitrary<ValueNode> = fc.oneof(
  { weight: 3, arbitrary: stringLiteral },
  { weight: 1, arbitrary: caseCall(stringLiteral) },
);
const match = fc
  .tuple(fc.constantFrom<'contains' | 'startswith' | 'endswith'>('contains', 'startswith', 'endswith'), stringExpression, pattern)
  .map(([name, target, p]): FilterNode => ({ kind: 'call', name, args: [target, p], pos: 0 }));
const isNull = compare(
  fc.oneof(field(Object.keys(FIELDS)), stringExpression),
  equality,
  fc.constant<ValueNode>({ kind: 'null', pos: 0 }),
);

const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  { weight: 4, arbitrary: match },
  { weight: 3, arbitrary: compare(stringExpression, operator, stringLiteral) },
  { weight: 1, arbitrary: compare(stringExpression, operator, stringExpression) },
  { weight: 2, arbitrary: compare(field(['id']), operator, integerLiteral) },
  { weight: 2, arbitrary: compare(field(DATETIME_FIELDS), operator, datetimeLiteral) },
  { weight: 1, arbitrary: compare(field(DATETIME_FIELDS), operator, field(DATETIME_FIELDS)) },
  { weight: 2, arbitrary: isNull },
  { weight: 2, arbitrary: compare(field(['roles']), equality, stringLiteral) },
  { weight: 2, arbitrary: inList(stringExpression, stringLiteral) },
  { weight: 1, arbitrary: inList(field(['id']), integerLiteral) },
  { weight: 1, arbitrary: inList(field(DATETIME_FIELDS), datetimeLiteral) },
  { weight: 1, arbitrary: inList(field(['roles']), stringLiteral) },
);

const { filter } = fc.letrec<{ filter: FilterNode }>((tie) => ({
  filter: fc.oneof(
    { maxDepth: 4, depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('filter').map((operand): FilterNode => ({ kind: 'not', operand, pos: 0 })),
    fc
      .tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), fc.array(tie('filter'), { minLength: 2, maxLength: 3 }))
      .map(([op, operands]): FilterNode => ({ kind: 'logical', op, operands, pos: 0 })),
  ),
}));

// ---- Printing a tree as OData text ----

function printValue(node: ValueNode): string {
  switch (node.kind) {
    case 'field':
      return node.name;
    case 'call':
      return `${node.name}(${printValue(node.args[0])})`;
    case 'string':
      return `'${node.value.replaceAll("'", "''")}'`;
    case 'number':
    case 'datetime':
      return node.text;
    case 'null':
      return 'null';
    case 'boolean':
      return String(node.value);
  }
}

/** Parentheses only where precedence needs them: an `or` under `and` or `not`, an `and` under `not`. */
function print(node: FilterNode, parent: 'top' | 'and' | 'or' | 'not' = 'top'): string {
  switch (node.kind) {
    case 'logical': {
      const text = node.operands.map((operand) => print(operand, node.op)).join(` ${node.op} `);
      const needs = parent === 'not' || (node.op === 'or' && parent === 'and');
      return needs ? `(${text})` : text;
    }
    case 'not':
      return `not ${print(node.operand, 'not')}`;
    case 'compare':
      return `${printValue(node.left)} ${node.op} ${printValue(node.right)}`;
    case 'in':
      return `${printValue(node.operand)} in (${node.items.map(printValue).join(', ')})`;
    case 'call':
      return `${node.name}(${printValue(node.args[0])}, ${printValue(node.args[1])})`;
    case 'field':
      return node.name;
  }
}

// ---- The property ----

describe('compiled filters on PostgreSQL agree with the in-memory evaluator', () => {
  let db: PGlite;

  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(`CREATE TABLE accounts (id int, name text, description text, status text, type text, country text,
      plan text, created_at timestamptz, updated_at timestamptz, roles text[])`);
    for (const r of ROWS) {
      await db.query('INSERT INTO accounts VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
        r.id, r.name, r.description, r.status, r.type, r.country, r.plan, r.createdAt, r.updatedAt, r.roles,
      ]);
    }
  });

  afterAll(async () => {
    await db.close();
  });

  it('stores the rows exactly as the evaluator sees them', async () => {
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT id, name, description, status, type, country, plan, created_at AS "createdAt", updated_at AS "updatedAt", roles
       FROM accounts ORDER BY id`,
    );
    expect(rows).toEqual(ROWS);
  });

  it('selects the same ids for random filters', async () => {
    let compared = 0;
    let nonTrivial = 0;
    await fc.assert(
      fc.asyncProperty(filter, async (tree) => {
        const text = print(tree);
        let parsed: FilterNode;
        try {
          parsed = parseFilter(text);
        } catch (error) {
          // A few generated trees are deeper than the limit; everything else must parse.
          fc.pre(!(error instanceof AppError && error.message.startsWith('Filter is nested deeper')));
          throw error;
        }
        const params: unknown[] = [];
        const where = compileFilter(parsed, FIELDS, params);
        expect(where.replaceAll("ESCAPE '\\'", '')).not.toMatch(/['";]/);

        const { rows } = await db.query<{ id: number }>(`SELECT id FROM accounts WHERE ${where} ORDER BY id`, params);
        const expected = ROWS.filter((row) => evaluateFilter(tree, { ...row })).map((row) => row.id);
        expect({ text, ids: rows.map((row) => row.id) }).toEqual({ text, ids: expected });
        // The parser must read the text back as the tree it was printed from.
        expect(ROWS.filter((row) => evaluateFilter(parsed, { ...row })).map((row) => row.id)).toEqual(expected);
        compared++;
        if (expected.length > 0 && expected.length < ROWS.length) nonTrivial++;
      }),
      { seed: 20260102, numRuns: 200 },
    );
    // The generator must produce filters that actually discriminate between rows.
    expect(compared).toBeGreaterThan(150);
    expect(nonTrivial).toBeGreaterThan(compared / 3);
  });
});
