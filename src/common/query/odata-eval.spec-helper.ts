import type { Comparison, FilterNode, MatchCall, ValueNode } from './odata-parser.js';

/**
 * Test-only: evaluates a parsed filter on an in-memory row the way the compiled SQL does on
 * PostgreSQL, with SQL's three-valued NULL logic (a row is kept only when the condition is TRUE).
 * Rows are keyed by field name; datetimes are Dates, lists are string arrays. It assumes the
 * filter already passed the compiler's type checks. Strings compare by code point (the C
 * collation of PGlite), and tolower/toupper use JavaScript's case mapping (C.UTF-8 ctype).
 */
export function evaluateFilter(node: FilterNode, row: Record<string, unknown>): boolean {
  return condition(node, row) === true;
}

type Tri = boolean | null;
type Scalar = string | number | boolean | null;
type Value = Scalar | string[];

function condition(node: FilterNode, row: Record<string, unknown>): Tri {
  switch (node.kind) {
    case 'logical': {
      const results = node.operands.map((operand) => condition(operand, row));
      const decisive = node.op === 'and' ? false : true;
      if (results.includes(decisive)) return decisive;
      return results.includes(null) ? null : !decisive;
    }
    case 'not': {
      const result = condition(node.operand, row);
      return result === null ? null : !result;
    }
    case 'field':
      return value(node, row) as boolean | null;
    case 'call':
      return match(node, row);
    case 'compare':
      return compare(node, row);
    case 'in': {
      const operand = value(node.operand, row);
      if (operand === null) return null;
      const items = node.items.map((item) => value(item, row));
      if (Array.isArray(operand)) return items.some((item) => operand.includes(item as string)); // &&
      return items.some((item) => item === operand); // IN: items are never null
    }
  }
}

function compare(node: Comparison, row: Record<string, unknown>): Tri {
  if (node.left.kind === 'null' || node.right.kind === 'null') {
    const other = value(node.left.kind === 'null' ? node.right : node.left, row);
    return (other === null) === (node.op === 'eq');
  }
  const left = value(node.left, row);
  const right = value(node.right, row);
  if (Array.isArray(left) || Array.isArray(right)) {
    const [list, item] = (Array.isArray(left) ? [left, right] : [right, left]) as [string[], string];
    const contains = arrayContains(list, item);
    return node.op === 'eq' || contains === null ? contains : !contains;
  }
  if (left === null || right === null) return null;
  switch (node.op) {
    case 'eq':
      return left === right;
    case 'ne':
      return left !== right;
    case 'gt':
      return left > right;
    case 'ge':
      return left >= right;
    case 'lt':
      return left < right;
    case 'le':
      return left <= right;
  }
}

/** `x = ANY(list)`: NULL when the list is NULL, or when x is absent but the list holds a NULL. */
function arrayContains(list: string[] | null, item: string): Tri {
  if (list === null) return null;
  if (list.includes(item)) return true;
  return list.some((element) => element === null) ? null : false;
}

function match(node: MatchCall, row: Record<string, unknown>): Tri {
  const target = value(node.args[0], row) as string | null;
  const pattern = value(node.args[1], row) as string;
  if (target === null) return null;
  if (node.name === 'contains') return target.includes(pattern);
  return node.name === 'startswith' ? target.startsWith(pattern) : target.endsWith(pattern);
}

/** Datetimes become epoch milliseconds so that they compare as numbers. */
function value(node: ValueNode, row: Record<string, unknown>): Value {
  switch (node.kind) {
    case 'field': {
      const raw = row[node.name] ?? null;
      return raw instanceof Date ? raw.getTime() : (raw as Value);
    }
    case 'call': {
      const arg = value(node.args[0], row) as string | null;
      if (arg === null) return null;
      return node.name === 'tolower' ? arg.toLowerCase() : arg.toUpperCase();
    }
    case 'null':
      return null;
    case 'datetime':
      return Date.parse(node.value);
    default:
      return node.value;
  }
}
