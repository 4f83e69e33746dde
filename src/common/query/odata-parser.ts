import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/error-code.js';

/**
 * The OData `$filter` / `$orderby` subset of SPEC "List queries", parsed into a typed syntax tree.
 * Pure: knows nothing of fields or SQL (see odata-to-sql.ts). Positions are 0-based offsets into
 * the text. Grammar, loosest first:
 *
 *   or      := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | '(' or ')' | match | value [cmp value | 'in' '(' literal (',' literal)* ')']
 *   match   := ('contains' | 'startswith' | 'endswith') '(' value ',' value ')'
 *   value   := literal | field | ('tolower' | 'toupper') '(' value ')'
 */

export const MAX_FILTER_LENGTH = 2000;
export const MAX_FILTER_DEPTH = 10;
export const MAX_IN_ITEMS = 50;
export const MAX_ORDERBY_KEYS = 5;

export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type MatchFunction = 'contains' | 'startswith' | 'endswith';
export type CaseFunction = 'tolower' | 'toupper';

export interface NullLiteral { kind: 'null'; pos: number }
export interface BooleanLiteral { kind: 'boolean'; value: boolean; pos: number }
/** `integer` is false when the text has a decimal point (`1.0`). */
export interface NumberLiteral { kind: 'number'; value: number; text: string; integer: boolean; pos: number }
export interface StringLiteral { kind: 'string'; value: string; pos: number }
/** `value` is a full ISO-8601 instant; a plain date `2026-01-02` is read as `2026-01-02T00:00:00Z`. */
export interface DateTimeLiteral { kind: 'datetime'; value: string; text: string; pos: number }
export type Literal = NullLiteral | BooleanLiteral | NumberLiteral | StringLiteral | DateTimeLiteral;

export interface FieldRef { kind: 'field'; name: string; pos: number }
export interface CaseCall { kind: 'call'; name: CaseFunction; args: [ValueNode]; pos: number }
export type ValueNode = Literal | FieldRef | CaseCall;

export interface Comparison { kind: 'compare'; op: ComparisonOperator; left: ValueNode; right: ValueNode; pos: number }
export interface InList { kind: 'in'; operand: ValueNode; items: Literal[]; pos: number }
export interface MatchCall { kind: 'call'; name: MatchFunction; args: [ValueNode, ValueNode]; pos: number }
/** `and` / `or` chains are flattened: `a and b and c` is one node with three operands. */
export interface Logical { kind: 'logical'; op: 'and' | 'or'; operands: FilterNode[]; pos: number }
export interface Not { kind: 'not'; operand: FilterNode; pos: number }
/** A bare field is a condition when it is a boolean field (`isAdmin`); the compiler checks that. */
export type FilterNode = Comparison | InList | MatchCall | Logical | Not | FieldRef;

export interface OrderByKey { field: string; direction: 'asc' | 'desc'; pos: number }

type Token =
  | { type: 'word'; text: string; pos: number }
  | { type: 'string'; value: string; text: string; pos: number }
  | { type: 'number'; text: string; pos: number }
  | { type: 'datetime'; text: string; pos: number }
  | { type: '(' | ')' | ','; text: string; pos: number }
  | { type: 'end'; text: ''; pos: number };

const COMPARISON_OPERATORS: readonly string[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const MATCH_FUNCTIONS: readonly string[] = ['contains', 'startswith', 'endswith'];
const CASE_FUNCTIONS: readonly string[] = ['tolower', 'toupper'];
const KEYWORDS: readonly string[] = [...COMPARISON_OPERATORS, 'and', 'or', 'not', 'in', 'null', 'true', 'false'];
const FILTER_WORDS: readonly string[] = [...KEYWORDS, ...MATCH_FUNCTIONS, ...CASE_FUNCTIONS];
/** Never field names, in any case; in another case (`EQ`, `Contains`) the error hints at lowercase. */
const RESERVED: readonly string[] = [...FILTER_WORDS, 'asc', 'desc'];

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?\d+(\.\d+)?/y;
// Date, then optionally a time with seconds, optional fraction, and a mandatory zone.
const DATETIME = /(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2})))?/y;

function invalid(message: string): AppError {
  return new AppError(ErrorCode.INVALID_FILTER, message);
}

function tokenize(text: string, where: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, text: c, pos: i++ });
    } else if (c === "'") {
      const start = i++;
      let value = '';
      for (;;) {
        if (i >= text.length) {
          throw invalid(`Unterminated string starting${where} at position ${start} (a quote inside a string is written '')`);
        }
        if (text[i] === "'") {
          if (text[i + 1] !== "'") break;
          i++; // '' is an escaped quote
        }
        value += text[i++];
      }
      i++;
      tokens.push({ type: 'string', value, text: text.slice(start, i), pos: start });
    } else if (/[0-9-]/.test(c)) {
      const datetime = matchAt(DATETIME, text, i);
      const number = datetime ? undefined : matchAt(NUMBER, text, i);
      if (datetime) checkDateTime(datetime, where, i);
      const token = datetime ?? number;
      if (!token) throw invalid(`Unexpected '${c}'${where} at position ${i}`);
      if (/[-+A-Za-z0-9_.:]/.test(text[i + token.length] ?? '')) {
        const example = datetime || /^\d{4}-/.test(text.slice(i)) ? ' (expected e.g. 2026-01-02 or 2026-01-02T03:04:05Z)' : '';
        throw invalid(`Malformed ${example ? 'datetime' : 'number'} '${badRun(text, i)}'${where} at position ${i}${example}`);
      }
      tokens.push({ type: datetime ? 'datetime' : 'number', text: token, pos: i });
      i += token.length;
    } else {
      const word = matchAt(WORD, text, i);
      if (!word) throw invalid(`Unexpected '${String.fromCodePoint(text.codePointAt(i)!)}'${where} at position ${i}`);
      tokens.push({ type: 'word', text: word, pos: i });
      i += word.length;
    }
  }
  tokens.push({ type: 'end', text: '', pos: text.length });
  return tokens;
}

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/** The run of literal-ish characters at `at`, for error messages about a malformed literal. */
function badRun(text: string, at: number): string {
  return matchAt(/[-+A-Za-z0-9_.:]+/y, text, at) ?? text[at];
}

/** Rejects what matches the shape but is no real instant (month 13, Feb 30, 25:00, year 0). */
function checkDateTime(token: string, where: string, pos: number): void {
  DATETIME.lastIndex = 0;
  const [, y, mo, d, h = '0', mi = '0', s = '0', , oh = '0', om = '0'] = DATETIME.exec(token)!;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const date = new Date(Date.UTC(year, month - 1, day));
  const dateOk = year >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  const timeOk = Number(h) <= 23 && Number(mi) <= 59 && Number(s) <= 59 && Number(oh) <= 14 && Number(om) <= 59;
  if (!dateOk || !timeOk) throw invalid(`Invalid datetime '${token}'${where} at position ${pos}`);
}

function describe(token: Token): string {
  return token.type === 'end' ? 'end of input' : `'${token.text}'`;
}

class Parser {
  private i = 0;
  /** Parentheses, `not` and function calls open so far: each adds at least one level. */
  private nesting = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly where: string,
  ) {}

  peek(): Token {
    return this.tokens[this.i];
  }

  fail(token: Token, hint = ''): AppError {
    const lower = token.type === 'word' ? token.text.toLowerCase() : '';
    if (!hint && lower !== token.text && RESERVED.includes(lower)) {
      hint = ` (keywords are lowercase: '${lower}')`;
    }
    return invalid(`Unexpected ${describe(token)}${this.where} at position ${token.pos}${hint}`);
  }

  take(): Token {
    return this.tokens[this.i++];
  }

  isWord(text: string): boolean {
    return this.peek().type === 'word' && this.peek().text === text;
  }

  expect(type: Token['type'], hint = ''): Token {
    if (this.peek().type !== type) throw this.fail(this.peek(), hint);
    return this.take();
  }

  /** Enters a nested construct; past the limit, fails before recursing further. */
  enter(): void {
    if (++this.nesting > MAX_FILTER_DEPTH) throw tooDeep();
  }

  leave(): void {
    this.nesting--;
  }

  // Each parse method returns the node and its depth (parentheses and operators counted).

  parseOr(): [FilterNode, number] {
    return this.parseChain('or', () => this.parseAnd());
  }

  parseAnd(): [FilterNode, number] {
    return this.parseChain('and', () => this.parseUnary());
  }

  parseChain(op: 'and' | 'or', operand: () => [FilterNode, number]): [FilterNode, number] {
    const first = operand();
    if (!this.isWord(op)) return first;
    const pos = this.peek().pos;
    const operands = [first[0]];
    let depth = first[1];
    while (this.isWord(op)) {
      this.take();
      const [node, d] = operand();
      operands.push(node);
      depth = Math.max(depth, d);
    }
    return [{ kind: 'logical', op, operands, pos }, depth + 1];
  }

  parseUnary(): [FilterNode, number] {
    const token = this.peek();
    if (this.isWord('not')) {
      this.take();
      this.enter();
      const [operand, depth] = this.parseUnary();
      this.leave();
      return [{ kind: 'not', operand, pos: token.pos }, depth + 1];
    }
    if (token.type === '(') {
      this.take();
      this.enter();
      const [node, depth] = this.parseOr();
      this.expect(')');
      this.leave();
      return [node, depth + 1];
    }
    if (token.type === 'word' && MATCH_FUNCTIONS.includes(token.text) && this.tokens[this.i + 1].type === '(') {
      const [args, depth] = this.parseArgs(2);
      return [{ kind: 'call', name: token.text as MatchFunction, args: args as [ValueNode, ValueNode], pos: token.pos }, depth];
    }
    return this.parsePredicate();
  }

  parsePredicate(): [FilterNode, number] {
    const [left, leftDepth] = this.parseValue();
    const token = this.peek();
    if (token.type === 'word' && COMPARISON_OPERATORS.includes(token.text)) {
      this.take();
      const [right, rightDepth] = this.parseValue();
      const node: Comparison = { kind: 'compare', op: token.text as ComparisonOperator, left, right, pos: token.pos };
      return [node, Math.max(leftDepth, rightDepth) + 1];
    }
    if (this.isWord('in')) {
      this.take();
      const open = this.expect('(');
      const items: Literal[] = [];
      do {
        const [item] = this.parseValue();
        if (item.kind === 'field' || item.kind === 'call') {
          throw invalid(`Expected a literal in the 'in' list at position ${item.pos}`);
        }
        items.push(item);
      } while (this.peek().type === ',' && this.take());
      this.expect(')');
      if (items.length > MAX_IN_ITEMS) {
        throw invalid(`The 'in' list at position ${open.pos} has ${items.length} items; at most ${MAX_IN_ITEMS} are allowed`);
      }
      return [{ kind: 'in', operand: left, items, pos: token.pos }, leftDepth + 1];
    }
    if (left.kind === 'field') return [left, leftDepth];
    throw this.fail(token, ' (expected a comparison operator)');
  }

  parseValue(): [ValueNode, number] {
    const token = this.take();
    switch (token.type) {
      case 'string':
        return [{ kind: 'string', value: token.value, pos: token.pos }, 0];
      case 'number': {
        const value = Number(token.text);
        return [{ kind: 'number', value, text: token.text, integer: !token.text.includes('.'), pos: token.pos }, 0];
      }
      case 'datetime': {
        const value = token.text.includes('T') ? token.text : `${token.text}T00:00:00Z`;
        return [{ kind: 'datetime', value, text: token.text, pos: token.pos }, 0];
      }
      case 'word': {
        if (token.text === 'null') return [{ kind: 'null', pos: token.pos }, 0];
        if (token.text === 'true' || token.text === 'false') {
          return [{ kind: 'boolean', value: token.text === 'true', pos: token.pos }, 0];
        }
        const call = this.peek().type === '(';
        if (call && CASE_FUNCTIONS.includes(token.text)) {
          this.i--;
          const [args, depth] = this.parseArgs(1);
          return [{ kind: 'call', name: token.text as CaseFunction, args: args as [ValueNode], pos: token.pos }, depth];
        }
        if (call && MATCH_FUNCTIONS.includes(token.text)) {
          throw invalid(`Function '${token.text}' is a condition and cannot be used as a value at position ${token.pos}`);
        }
        if (FILTER_WORDS.includes(token.text.toLowerCase())) throw this.fail(token);
        if (call) throw invalid(`Unknown function '${token.text}' at position ${token.pos}`);
        return [{ kind: 'field', name: token.text, pos: token.pos }, 0];
      }
      default:
        throw this.fail(token);
    }
  }

  /** `name(value, ...)` with exactly `count` arguments; the call is one level. */
  parseArgs(count: number): [ValueNode[], number] {
    const name = this.take();
    this.expect('(');
    this.enter();
    const args: ValueNode[] = [];
    let depth = 0;
    for (let n = 0; n < count; n++) {
      if (n > 0) this.expect(',', ` ('${name.text}' takes ${count} arguments)`);
      const [arg, d] = this.parseValue();
      args.push(arg);
      depth = Math.max(depth, d);
    }
    this.expect(')', ` ('${name.text}' takes ${count} argument${count > 1 ? 's' : ''})`);
    this.leave();
    return [args, depth + 1];
  }
}

function tooDeep(): AppError {
  return invalid(`Filter is nested deeper than ${MAX_FILTER_DEPTH} levels`);
}

function checkLength(text: string, what: string): void {
  if (text.length > MAX_FILTER_LENGTH) {
    throw invalid(`${what} is longer than ${MAX_FILTER_LENGTH} characters`);
  }
}

/** Parses a `$filter` expression; any problem is an `INVALID_FILTER` AppError saying what and where. */
export function parseFilter(text: string): FilterNode {
  checkLength(text, 'Filter');
  const parser = new Parser(tokenize(text, ''), '');
  if (parser.peek().type === 'end') throw invalid('Filter is empty');
  const [node, depth] = parser.parseOr();
  if (parser.peek().type !== 'end') throw parser.fail(parser.peek());
  if (depth > MAX_FILTER_DEPTH) throw tooDeep();
  return node;
}

/** Parses `$orderby`: `name desc, createdAt` into at most five keys (fields are not checked here). */
export function parseOrderBy(text: string): OrderByKey[] {
  checkLength(text, '$orderby');
  const parser = new Parser(tokenize(text, ' in $orderby'), ' in $orderby');
  const keys: OrderByKey[] = [];
  do {
    const field = parser.peek();
    if (field.type !== 'word' || RESERVED.includes(field.text.toLowerCase())) {
      throw parser.fail(field, ' (expected a field name)');
    }
    parser.take();
    let direction: 'asc' | 'desc' = 'asc';
    if (parser.isWord('asc') || parser.isWord('desc')) direction = parser.take().text as 'asc' | 'desc';
    keys.push({ field: field.text, direction, pos: field.pos });
  } while (parser.peek().type === ',' && parser.take());
  if (parser.peek().type !== 'end') throw parser.fail(parser.peek());
  if (keys.length > MAX_ORDERBY_KEYS) {
    throw invalid(`$orderby has ${keys.length} keys; at most ${MAX_ORDERBY_KEYS} are allowed`);
  }
  return keys;
}
