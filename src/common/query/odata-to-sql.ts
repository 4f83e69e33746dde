import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/error-code.js';
import {
  type Comparison,
  type FieldRef,
  type FilterNode,
  type InList,
  type Literal,
  type MatchCall,
  type ValueNode,
  parseFilter,
  parseOrderBy,
} from './odata-parser.js';

/**
 * Compiles the OData list query of SPEC "List queries" to parameterized PostgreSQL over a
 * per-resource whitelist of fields. Identifiers come only from the FieldMap; every value from the
 * query becomes a `$n` parameter pushed onto the caller's array.
 */

export type FieldType = 'string' | 'integer' | 'datetime' | 'boolean' | 'string[]';

export interface FieldSpec {
  /** A trusted SQL expression, e.g. `a.name`. */
  column: string;
  type: FieldType;
  /** The allowed values of an enum field: comparing with any other string is an INVALID_FILTER. */
  values?: readonly string[];
}

export type FieldMap = Record<string, FieldSpec>;

export interface ListQueryInput {
  $filter?: string;
  $orderby?: string;
  $skip?: string;
  $top?: string;
}

export interface CompiledListQuery {
  /** A condition, `TRUE` without a filter. */
  where: string;
  /** Always ends with the caller's unique tiebreak column, so pages are stable. */
  orderBy: string;
  limit: number;
  offset: number;
}

export interface ListQueryOptions {
  /** Trusted SQL used when there is no `$orderby`, e.g. `a.created_at DESC`. */
  defaultOrder: string;
  /** A unique column, e.g. `a.id`: appended (ascending) unless the order already reaches it. */
  tiebreak: string;
}

export const DEFAULT_TOP = 20;
export const MAX_TOP = 100;
export const MAX_SKIP = 1_000_000;

const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;

const SQL_OPERATORS = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;
const SQL_CASTS: Record<Exclude<FieldType, 'string[]'>, string> = {
  string: 'text',
  integer: 'int',
  datetime: 'timestamptz',
  boolean: 'boolean',
};

/** `$filter`, `$orderby`, `$top` and `$skip` to SQL fragments; the caller adds its own scope. */
export function compileListQuery(
  input: ListQueryInput,
  fields: FieldMap,
  params: unknown[],
  options: ListQueryOptions,
): CompiledListQuery {
  const limit = readCount(input.$top, '$top', DEFAULT_TOP, MAX_TOP);
  const offset = readCount(input.$skip, '$skip', 0, MAX_SKIP);
  const filter = readText(input.$filter, '$filter');
  const orderby = readText(input.$orderby, '$orderby');
  const where = filter === undefined ? 'TRUE' : compileFilter(parseFilter(filter), fields, params);
  const order = orderby === undefined ? splitOrder(options.defaultOrder) : compileOrderBy(orderby, fields);
  return { where, orderBy: withTiebreak(order, options.tiebreak).join(', '), limit, offset };
}

/** A parsed filter to a SQL condition; values are pushed onto `params` and referenced as `$n`. */
export function compileFilter(node: FilterNode, fields: FieldMap, params: unknown[]): string {
  return new Compiler(fields, params).condition(node);
}

/** `name desc, createdAt` to `a.name DESC, a.created_at ASC`. */
export function compileOrderBy(text: string, fields: FieldMap): string[] {
  return parseOrderBy(text).map((key) => {
    const spec = lookup(fields, key.field);
    if (!spec) throw invalid(`Unknown field '${key.field}' in $orderby at position ${key.pos}`);
    if (spec.type === 'string[]') throw invalid(`Cannot sort by list field '${key.field}' in $orderby at position ${key.pos}`);
    return `${spec.column} ${key.direction.toUpperCase()}`;
  });
}

function splitOrder(sql: string): string[] {
  return sql.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** Ends the order at the tiebreak column: cut after it if present, else append it. */
function withTiebreak(order: string[], tiebreak: string): string[] {
  const at = order.findIndex((item) => item.split(/\s+/)[0] === tiebreak);
  return at >= 0 ? order.slice(0, at + 1) : [...order, `${tiebreak} ASC`];
}

function invalid(message: string): AppError {
  return new AppError(ErrorCode.INVALID_FILTER, message);
}

function validationFailed(name: string, problem: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, `${name} ${problem}`, [{ field: name, problem }]);
}

/** A query parameter given once (a repeated one arrives as an array); blank counts as absent. */
function readText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw validationFailed(name, 'must be given once');
  return value.trim() === '' ? undefined : value;
}

function readCount(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw validationFailed(name, 'must be given once');
  if (!/^\d+$/.test(value)) throw validationFailed(name, 'must be a non-negative integer');
  const count = Number(value);
  if (count > max) throw validationFailed(name, `must be at most ${max}`);
  return count;
}

function lookup(fields: FieldMap, name: string): FieldSpec | undefined {
  // hasOwn: `constructor` or `__proto__` must be unknown fields, not Object.prototype members.
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

function describeLiteral(literal: Literal): string {
  switch (literal.kind) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'a boolean';
    case 'number':
      return `the number ${literal.text}`;
    case 'string':
      return 'a string';
    case 'datetime':
      return 'a datetime';
  }
}

/** A compiled field or tolower/toupper call, with what it is for error messages. */
interface Typed {
  sql: string;
  type: FieldType;
  /** `integer field 'id'`, `tolower(...)`. */
  label: string;
  /** Whether a field occurs in it: a condition on literals alone (`1 eq 1`) is refused. */
  hasField: boolean;
  pos: number;
  /** Set when it is a bare field, for the enum check. */
  spec?: FieldSpec;
}

class Compiler {
  constructor(
    private readonly fields: FieldMap,
    private readonly params: unknown[],
  ) {}

  condition(node: FilterNode): string {
    switch (node.kind) {
      case 'logical': {
        const operands = node.operands.map((operand) => this.condition(operand));
        return `(${operands.join(node.op === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not':
        return `NOT (${this.condition(node.operand)})`;
      case 'field': {
        const typed = this.field(node);
        if (typed.type !== 'boolean') {
          throw invalid(`${capitalize(typed.label)} is not a boolean and cannot be a condition at position ${node.pos}`);
        }
        return typed.sql;
      }
      case 'call':
        return this.match(node);
      case 'compare':
        return this.compare(node);
      case 'in':
        return this.inList(node);
    }
  }

  private param(value: unknown, cast: string): string {
    return `$${this.params.push(value)}::${cast}`;
  }

  private field(ref: FieldRef): Typed {
    const spec = lookup(this.fields, ref.name);
    if (!spec) throw invalid(`Unknown field '${ref.name}' at position ${ref.pos}`);
    const label = `${spec.type} field '${ref.name}'`;
    return { sql: spec.column, type: spec.type, label, hasField: true, pos: ref.pos, spec };
  }

  /** Fields and tolower/toupper calls compile now; literals wait until their expected type is known. */
  private operand(node: ValueNode): Typed | Literal {
    if (node.kind === 'field') return this.field(node);
    if (node.kind !== 'call') return node;
    const arg = this.operand(node.args[0]);
    let sql: string;
    if (!isLiteral(arg)) {
      sql = this.stringArg(arg, node.name);
    } else if (arg.kind === 'string') {
      sql = this.param(checkString(arg.value, arg.pos), SQL_CASTS.string);
    } else {
      throw invalid(`${node.name} needs a string, not ${describeLiteral(arg)} at position ${arg.pos}`);
    }
    const fn = node.name === 'tolower' ? 'lower' : 'upper';
    return { sql: `${fn}(${sql})`, type: 'string', label: `${node.name}(...)`, hasField: hasField(arg), pos: node.pos };
  }

  private stringArg(arg: Typed, fn: string): string {
    if (arg.type !== 'string') throw invalid(`${fn} needs a string, not ${arg.label} at position ${arg.pos}`);
    return arg.sql;
  }

  private compare(node: Comparison): string {
    const left = this.operand(node.left);
    const right = this.operand(node.right);
    const at = `at position ${node.pos}`;
    if (!hasField(left) && !hasField(right)) throw invalid(`Comparison '${node.op}' ${at} does not involve any field`);

    if ((isLiteral(left) && left.kind === 'null') || (isLiteral(right) && right.kind === 'null')) {
      const other = (isLiteral(left) ? right : left) as Typed;
      if (node.op !== 'eq' && node.op !== 'ne') throw invalid(`'${node.op}' cannot compare with null ${at} (use eq or ne)`);
      return `${other.sql} IS ${node.op === 'eq' ? '' : 'NOT '}NULL`;
    }

    if (!isLiteral(left) && !isLiteral(right)) {
      if (left.type !== right.type || left.type === 'string[]') {
        throw invalid(`Cannot compare ${left.label} with ${right.label} ${at}`);
      }
      this.checkOperator(node, left);
      return `${left.sql} ${SQL_OPERATORS[node.op]} ${right.sql}`;
    }

    const [typed, literal] = isLiteral(left) ? [right as Typed, left] : [left, right as Literal];
    this.checkOperator(node, typed);
    if (typed.type === 'string[]') {
      const contains = `${this.param(element(literal, typed), 'text')} = ANY(${typed.sql})`;
      return node.op === 'eq' ? contains : `NOT (${contains})`;
    }
    const value = this.literal(literal, typed);
    const operator = SQL_OPERATORS[node.op];
    return isLiteral(left) ? `${value} ${operator} ${typed.sql}` : `${typed.sql} ${operator} ${value}`;
  }

  /** Lists and booleans have no order: only eq and ne. */
  private checkOperator(node: Comparison, typed: Typed): void {
    if ((typed.type === 'string[]' || typed.type === 'boolean') && node.op !== 'eq' && node.op !== 'ne') {
      throw invalid(`'${node.op}' cannot compare ${typed.label} at position ${node.pos} (only eq and ne)`);
    }
  }

  private inList(node: InList): string {
    const operand = this.operand(node.operand);
    if (isLiteral(operand) || !operand.hasField) {
      throw invalid(`The left side of 'in' at position ${operand.pos} must be a field`);
    }
    for (const item of node.items) {
      if (item.kind === 'null') throw invalid(`null cannot be in an 'in' list (at position ${item.pos}); use eq null`);
    }
    if (operand.type === 'string[]') {
      const values = node.items.map((item) => element(item, operand));
      return `${operand.sql} && ${this.param(values, 'text[]')}`;
    }
    return `${operand.sql} IN (${node.items.map((item) => this.literal(item, operand)).join(', ')})`;
  }

  private match(node: MatchCall): string {
    const target = this.operand(node.args[0]);
    if (isLiteral(target) || !target.hasField) {
      throw invalid(`The first argument of ${node.name} at position ${target.pos} must be a field`);
    }
    const pattern = this.pattern(node.args[1], node);
    return `${this.stringArg(target, node.name)} LIKE ${pattern} ESCAPE '\\'`;
  }

  /** A string literal (maybe inside tolower/toupper) made a LIKE pattern that matches it literally. */
  private pattern(node: ValueNode, call: MatchCall): string {
    if (node.kind === 'call') return `${node.name === 'tolower' ? 'lower' : 'upper'}(${this.pattern(node.args[0], call)})`;
    if (node.kind !== 'string') {
      throw invalid(`The second argument of ${call.name} at position ${node.pos} must be a string literal`);
    }
    const escaped = checkString(node.value, node.pos).replace(/[\\%_]/g, '\\$&');
    const like = call.name === 'contains' ? `%${escaped}%` : call.name === 'startswith' ? `${escaped}%` : `%${escaped}`;
    return this.param(like, 'text');
  }

  /** A literal compared with `typed`, as a cast parameter, after checking it fits. */
  private literal(literal: Literal, typed: Typed): string {
    const mismatch = () => invalid(`Cannot compare ${typed.label} with ${describeLiteral(literal)} at position ${literal.pos}`);
    switch (typed.type) {
      case 'string':
        if (literal.kind !== 'string') throw mismatch();
        return this.param(checkEnum(checkString(literal.value, literal.pos), literal.pos, typed), SQL_CASTS.string);
      case 'integer':
        if (literal.kind !== 'number' || !literal.integer) throw mismatch();
        if (!(literal.value >= INT4_MIN && literal.value <= INT4_MAX)) {
          throw invalid(`Number ${literal.text} at position ${literal.pos} is out of range for ${typed.label}`);
        }
        return this.param(literal.value, SQL_CASTS.integer);
      case 'datetime':
        if (literal.kind !== 'datetime') throw mismatch();
        return this.param(literal.value, SQL_CASTS.datetime);
      case 'boolean':
        if (literal.kind !== 'boolean') throw mismatch();
        return this.param(literal.value, SQL_CASTS.boolean);
      case 'string[]':
        throw mismatch(); // lists compare through element(), never here
    }
  }
}

/** The string compared with a list field (`roles eq 'admin'`), checked. */
function element(literal: Literal, typed: Typed): string {
  if (literal.kind !== 'string') {
    throw invalid(`Cannot compare ${typed.label} with ${describeLiteral(literal)} at position ${literal.pos}`);
  }
  return checkEnum(checkString(literal.value, literal.pos), literal.pos, typed);
}

function isLiteral(value: Typed | Literal): value is Literal {
  return !('sql' in value);
}

function hasField(value: Typed | Literal): boolean {
  return !isLiteral(value) && value.hasField;
}

function checkString(value: string, pos: number): string {
  if (value.includes('\0')) throw invalid(`String at position ${pos} contains a NUL character`);
  return value;
}

function checkEnum(value: string, pos: number, typed: Typed): string {
  const values = typed.spec?.values;
  if (values && !values.includes(value)) {
    throw invalid(`Invalid value '${value}' for ${typed.label} at position ${pos}: expected one of ${values.join(', ')}`);
  }
  return value;
}

function capitalize(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}
