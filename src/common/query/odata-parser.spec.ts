import { describe, expect, it } from '@jest/globals';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { type FilterNode, parseFilter, parseOrderBy } from './odata-parser.js';

function failure(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

/** The INVALID_FILTER message that parsing `text` fails with. */
function filterError(text: string): string {
  const error = failure(() => parseFilter(text));
  expect(error.code).toBe(ErrorCode.INVALID_FILTER);
  return error.message;
}

function orderByError(text: string): string {
  const error = failure(() => parseOrderBy(text));
  expect(error.code).toBe(ErrorCode.INVALID_FILTER);
  return error.message;
}

const field = (name: string, pos: number) => ({ kind: 'field', name, pos });

describe('parseFilter', () => {
  describe('comparisons', () => {
    it.each(['eq', 'ne', 'gt', 'ge', 'lt', 'le'])('parses %s with positions', (op) => {
      expect(parseFilter(`id ${op} 42`)).toEqual({
        kind: 'compare',
        op,
        left: field('id', 0),
        right: { kind: 'number', value: 42, text: '42', integer: true, pos: 6 },
        pos: 3,
      });
    });

    it('accepts a literal on the left and any whitespace', () => {
      expect(parseFilter("\t'x'\n eq  name ")).toMatchObject({ op: 'eq', left: { kind: 'string', value: 'x' }, right: field('name', 10) });
    });

    it('parses a field compared with a field', () => {
      expect(parseFilter('createdAt lt updatedAt')).toMatchObject({ left: field('createdAt', 0), right: field('updatedAt', 13) });
    });

    it('parses a bare field as a condition (the compiler requires it to be boolean)', () => {
      expect(parseFilter('isAdmin')).toEqual(field('isAdmin', 0));
    });
  });

  describe('literals', () => {
    const right = (literal: string) => (parseFilter(`x eq ${literal}`) as { right: unknown }).right;

    it('parses null, true and false', () => {
      expect(right('null')).toEqual({ kind: 'null', pos: 5 });
      expect(right('true')).toEqual({ kind: 'boolean', value: true, pos: 5 });
      expect(right('false')).toEqual({ kind: 'boolean', value: false, pos: 5 });
    });

    it('parses integers and decimals, negative too', () => {
      expect(right('0')).toMatchObject({ kind: 'number', value: 0, integer: true });
      expect(right('-7')).toMatchObject({ kind: 'number', value: -7, text: '-7', integer: true });
      expect(right('3.25')).toMatchObject({ kind: 'number', value: 3.25, integer: false });
      expect(right('-0.5')).toMatchObject({ kind: 'number', value: -0.5, integer: false });
      expect(right('1.0')).toMatchObject({ kind: 'number', value: 1, integer: false });
      expect(right('99999999999999999999')).toMatchObject({ kind: 'number', integer: true, text: '99999999999999999999' });
    });

    it("parses strings where '' escapes a quote", () => {
      expect(right("'O''Brien'")).toEqual({ kind: 'string', value: "O'Brien", pos: 5 });
      expect(right("''")).toMatchObject({ value: '' });
      expect(right("''''")).toMatchObject({ value: "'" });
      expect(right("'a''''b'")).toMatchObject({ value: "a''b" });
    });

    it('keeps the text of a string as it is: %, _, backslash, keywords, SQL and Unicode', () => {
      expect(right("'50%_off\\'")).toMatchObject({ value: '50%_off\\' });
      expect(right("'x and y eq 1) or (1'")).toMatchObject({ value: 'x and y eq 1) or (1' });
      expect(right("'; DROP TABLE users; --'")).toMatchObject({ value: '; DROP TABLE users; --' });
      expect(right("'Zoë Café 東京 😀'")).toMatchObject({ value: 'Zoë Café 東京 😀' });
    });

    it('parses ISO-8601 datetimes with Z, an offset or fractional seconds', () => {
      expect(right('2026-01-02T03:04:05Z')).toEqual({
        kind: 'datetime',
        value: '2026-01-02T03:04:05Z',
        text: '2026-01-02T03:04:05Z',
        pos: 5,
      });
      expect(right('2026-01-02T03:04:05+05:30')).toMatchObject({ value: '2026-01-02T03:04:05+05:30' });
      expect(right('2026-01-02T03:04:05.123456-08:00')).toMatchObject({ value: '2026-01-02T03:04:05.123456-08:00' });
      expect(right('2026-01-02T03:04Z')).toMatchObject({ value: '2026-01-02T03:04Z' });
      expect(right('2024-02-29T23:59:59Z')).toMatchObject({ kind: 'datetime' });
    });

    it('reads a plain date as midnight UTC', () => {
      expect(right('2026-01-02')).toEqual({ kind: 'datetime', value: '2026-01-02T00:00:00Z', text: '2026-01-02', pos: 5 });
    });
  });

  describe('logic and precedence', () => {
    it('binds not tighter than comparison operands, and tighter than or', () => {
      expect(parseFilter("a eq 1 or b eq 2 and c eq 3")).toMatchObject({
        kind: 'logical',
        op: 'or',
        operands: [
          { kind: 'compare', left: { name: 'a' } },
          { kind: 'logical', op: 'and', operands: [{ left: { name: 'b' } }, { left: { name: 'c' } }] },
        ],
      });
    });

    it('applies not to the next comparison only', () => {
      expect(parseFilter('not a eq 1 and b eq 2')).toMatchObject({
        kind: 'logical',
        op: 'and',
        operands: [{ kind: 'not', operand: { kind: 'compare', left: { name: 'a' } }, pos: 0 }, { kind: 'compare' }],
      });
      expect(parseFilter('not not a eq 1')).toMatchObject({ kind: 'not', operand: { kind: 'not', operand: { kind: 'compare' } } });
    });

    it('lets parentheses override precedence', () => {
      expect(parseFilter('(a eq 1 or b eq 2) and not (c eq 3 or d eq 4)')).toMatchObject({
        kind: 'logical',
        op: 'and',
        operands: [
          { kind: 'logical', op: 'or' },
          { kind: 'not', operand: { kind: 'logical', op: 'or' } },
        ],
      });
    });

    it('flattens a chain of the same operator into one node', () => {
      const node = parseFilter(Array.from({ length: 30 }, (_, i) => `f${i} eq ${i}`).join(' and ')) as FilterNode & { operands: unknown[] };
      expect(node).toMatchObject({ kind: 'logical', op: 'and', pos: 8 });
      expect(node.operands).toHaveLength(30);
    });
  });

  describe('functions', () => {
    it.each(['contains', 'startswith', 'endswith'])('parses %s(field, string) as a condition', (name) => {
      expect(parseFilter(`${name}(name, 'ac')`)).toEqual({
        kind: 'call',
        name,
        args: [field('name', name.length + 1), { kind: 'string', value: 'ac', pos: name.length + 7 }],
        pos: 0,
      });
    });

    it.each(['tolower', 'toupper'])('parses %s as a value, also nested and inside contains', (name) => {
      expect(parseFilter(`${name}(name) eq 'x'`)).toMatchObject({
        kind: 'compare',
        left: { kind: 'call', name, args: [{ kind: 'field' }] },
      });
      expect(parseFilter(`contains(${name}(${name}(name)), ${name}('X'))`)).toMatchObject({
        kind: 'call',
        name: 'contains',
        args: [{ kind: 'call', name, args: [{ kind: 'call', name }] }, { kind: 'call', name, args: [{ kind: 'string', value: 'X' }] }],
      });
    });

    it('parses in (...) with literals', () => {
      expect(parseFilter("status in ('active', 'disabled')")).toEqual({
        kind: 'in',
        operand: field('status', 0),
        items: [
          { kind: 'string', value: 'active', pos: 11 },
          { kind: 'string', value: 'disabled', pos: 21 },
        ],
        pos: 7,
      });
      expect(parseFilter('id in (1)')).toMatchObject({ kind: 'in', items: [{ value: 1 }] });
    });

    it('accepts 50 items in a list and refuses 51', () => {
      const list = (n: number) => `id in (${Array.from({ length: n }, (_, i) => i).join(',')})`;
      expect(parseFilter(list(50))).toMatchObject({ kind: 'in' });
      expect(filterError(list(51))).toBe("The 'in' list at position 6 has 51 items; at most 50 are allowed");
    });
  });

  describe('syntax errors say what and where', () => {
    it.each([
      ["name eq 'x') or (1 eq 1", "Unexpected ')' at position 11"],
      ["name) or (1 eq 1", "Unexpected ')' at position 4"],
      ["(name eq 'a' or name eq 'b'))", "Unexpected ')' at position 28"],
      ["(name eq 'a'", 'Unexpected end of input at position 12'],
      ['name eq', 'Unexpected end of input at position 7'],
      ['name eq eq', "Unexpected 'eq' at position 8"],
      ["name eq 'x' and", 'Unexpected end of input at position 15'],
      ["name eq 'x' name eq 'y'", "Unexpected 'name' at position 12"],
      ["and name eq 'x'", "Unexpected 'and' at position 0"],
      ['id eq 1 eq 1', "Unexpected 'eq' at position 8"],
      ["tolower(name)", 'Unexpected end of input at position 13 (expected a comparison operator)'],
      ["'x'", 'Unexpected end of input at position 3 (expected a comparison operator)'],
      ["name eq 'x' and 'y'", 'Unexpected end of input at position 19 (expected a comparison operator)'],
      ['()', "Unexpected ')' at position 1"],
      ["name eq ('x')", "Unexpected '(' at position 8"],
      ["(name eq 'x') eq true", "Unexpected 'eq' at position 14"],
    ])('%s', (text, message) => {
      expect(filterError(text)).toBe(message);
    });

    it('refuses an empty filter', () => {
      expect(filterError('')).toBe('Filter is empty');
      expect(filterError('   ')).toBe('Filter is empty');
    });

    it('refuses characters outside the grammar, including SQL and Unicode outside strings', () => {
      expect(filterError("name eq 'x'; DROP TABLE users; --'")).toBe("Unexpected ';' at position 11");
      expect(filterError("name eq 'x' -- comment")).toBe("Unexpected '-' at position 12");
      expect(filterError("name eq \"x\"")).toBe(`Unexpected '"' at position 8`);
      expect(filterError('id eq 1 + 1')).toBe("Unexpected '+' at position 8");
      expect(filterError('a.name eq 1')).toBe("Unexpected '.' at position 1");
      expect(filterError("nämé eq 'x'")).toBe("Unexpected 'ä' at position 1");
      expect(filterError("😀 eq 'x'")).toBe("Unexpected '😀' at position 0");
      expect(filterError("name eq 'x'\u0000")).toBe("Unexpected '\u0000' at position 11");
    });

    it('refuses an unterminated string', () => {
      const hint = " (a quote inside a string is written '')";
      expect(filterError("name eq 'O'Brien'")).toBe(`Unterminated string starting at position 16${hint}`);
      expect(filterError("name eq 'abc")).toBe(`Unterminated string starting at position 8${hint}`);
      expect(filterError("name eq 'abc''")).toBe(`Unterminated string starting at position 8${hint}`);
      expect(filterError("name eq 'O'Brien")).toBe("Unexpected 'Brien' at position 11");
    });

    it('keywords are lowercase, and the error says so', () => {
      expect(filterError("name EQ 'x'")).toBe("Unexpected 'EQ' at position 5 (keywords are lowercase: 'eq')");
      expect(filterError("NOT name eq 'x'")).toBe("Unexpected 'NOT' at position 0 (keywords are lowercase: 'not')");
      expect(filterError("id eq 1 AND id eq 2")).toBe("Unexpected 'AND' at position 8 (keywords are lowercase: 'and')");
      expect(filterError('deleted eq NULL')).toBe("Unexpected 'NULL' at position 11 (keywords are lowercase: 'null')");
      expect(parseFilter("name eq 'x' and(id eq 1)")).toMatchObject({ kind: 'logical' });
      expect(filterError('name eq and(1)')).toBe("Unexpected 'and' at position 8");
      expect(filterError("Contains(name, 'x')")).toBe("Unexpected 'Contains' at position 0 (keywords are lowercase: 'contains')");
    });

    it('refuses unknown functions and misused ones', () => {
      expect(filterError("substring(name, 1) eq 'x'")).toBe("Unknown function 'substring' at position 0");
      expect(filterError("contains(name) eq 'x'")).toBe("Unexpected ')' at position 13 ('contains' takes 2 arguments)");
      expect(filterError("contains(name, 'a', 'b')")).toBe("Unexpected ',' at position 18 ('contains' takes 2 arguments)");
      expect(filterError("tolower(name, 'x') eq 'x'")).toBe("Unexpected ',' at position 12 ('tolower' takes 1 argument)");
      expect(filterError("contains(name, 'a') eq true")).toBe("Unexpected 'eq' at position 20");
      const asValue = "Function 'contains' is a condition and cannot be used as a value";
      expect(filterError("name eq contains(name, 'a')")).toBe(`${asValue} at position 8`);
      expect(filterError("contains(name, contains(name, 'a'))")).toBe(`${asValue} at position 15`);
    });

    it('refuses malformed in lists', () => {
      expect(filterError('id in ()')).toBe("Unexpected ')' at position 7");
      expect(filterError('id in 1, 2')).toBe("Unexpected '1' at position 6");
      expect(filterError('id in (1, 2')).toBe('Unexpected end of input at position 11');
      expect(filterError('id in (1,)')).toBe("Unexpected ')' at position 9");
      expect(filterError('id in (1, other)')).toBe("Expected a literal in the 'in' list at position 10");
    });

    it('refuses malformed numbers', () => {
      expect(filterError('id eq 12abc')).toBe("Malformed number '12abc' at position 6");
      expect(filterError('id eq 1.')).toBe("Malformed number '1.' at position 6");
      expect(filterError('id eq .5')).toBe("Unexpected '.' at position 6");
      expect(filterError('id eq 1e5')).toBe("Malformed number '1e5' at position 6");
      expect(filterError('id eq 0x10')).toBe("Malformed number '0x10' at position 6");
      expect(filterError('id eq - 1')).toBe("Unexpected '-' at position 6");
      expect(filterError('id eq 1-2')).toBe("Malformed number '1-2' at position 6");
    });

    it('refuses malformed or impossible datetimes', () => {
      const hint = ' (expected e.g. 2026-01-02 or 2026-01-02T03:04:05Z)';
      expect(filterError('d eq 2026-01-02T03:04:05')).toBe(`Malformed datetime '2026-01-02T03:04:05' at position 5${hint}`);
      expect(filterError('d eq 2026-1-2')).toBe(`Malformed datetime '2026-1-2' at position 5${hint}`);
      expect(filterError('d eq 2026-01-02T03:04:05Zjunk')).toBe(`Malformed datetime '2026-01-02T03:04:05Zjunk' at position 5${hint}`);
      for (const bad of [
        '2026-13-01',
        '2026-00-10',
        '2026-02-30',
        '2025-02-29',
        '0000-01-01',
        '2026-01-02T24:00:00Z',
        '2026-01-02T03:60:00Z',
        '2026-01-02T03:04:60Z',
        '2026-01-02T03:04:05+15:00',
        '2026-01-02T03:04:05+05:60',
      ]) {
        expect(filterError(`d eq ${bad}`)).toBe(`Invalid datetime '${bad}' at position 5`);
      }
    });
  });

  describe('limits', () => {
    it('accepts 2000 characters and refuses 2001', () => {
      const filter = (length: number) => `name eq '${'x'.repeat(length - 10)}'`;
      expect(filter(2000)).toHaveLength(2000);
      expect(parseFilter(filter(2000))).toMatchObject({ kind: 'compare' });
      expect(filterError(filter(2001))).toBe('Filter is longer than 2000 characters');
    });

    const TOO_DEEP = 'Filter is nested deeper than 10 levels';

    it('counts parentheses: 9 pairs around a comparison is 10 levels, 10 pairs is 11', () => {
      const nested = (n: number) => `${'('.repeat(n)}id eq 1${')'.repeat(n)}`;
      expect(parseFilter(nested(9))).toMatchObject({ kind: 'compare' });
      expect(filterError(nested(10))).toBe(TOO_DEEP);
    });

    it('counts not, function calls and logical operators', () => {
      expect(parseFilter(`${'not '.repeat(9)}id eq 1`)).toMatchObject({ kind: 'not' });
      expect(filterError(`${'not '.repeat(10)}id eq 1`)).toBe(TOO_DEEP);

      const lower = (n: number) => `${'tolower('.repeat(n)}name${')'.repeat(n)} eq 'x'`;
      expect(parseFilter(lower(9))).toMatchObject({ kind: 'compare' });
      expect(filterError(lower(10))).toBe(TOO_DEEP);

      // or( and( (...) ) ): each group is or + and + parentheses = 3 levels.
      const groups = (n: number): string => (n === 0 ? 'id eq 1' : `id eq 1 or id eq 2 and (${groups(n - 1)})`);
      expect(parseFilter(groups(3))).toBeDefined(); // 3 * 3 + 1 = 10
      expect(filterError(`not (${groups(3)})`)).toBe(TOO_DEEP); // 12
      expect(filterError(`not ${'('.repeat(3)}${groups(2)}${')'.repeat(3)}`)).toBe(TOO_DEEP); // 1 + 3 + 7 = 11
    });

    it('refuses very deep input early, without exhausting the stack', () => {
      expect(filterError(`${'('.repeat(995)}id eq 1${')'.repeat(995)}`)).toBe(TOO_DEEP);
      expect(filterError('not '.repeat(499))).toBe(TOO_DEEP);
      expect(filterError(`${'tolower('.repeat(249)}name`)).toBe(TOO_DEEP);
    });
  });
});

describe('parseOrderBy', () => {
  it('parses fields with optional directions', () => {
    expect(parseOrderBy('name desc, createdAt')).toEqual([
      { field: 'name', direction: 'desc', pos: 0 },
      { field: 'createdAt', direction: 'asc', pos: 11 },
    ]);
    expect(parseOrderBy(' id  asc ')).toEqual([{ field: 'id', direction: 'asc', pos: 1 }]);
  });

  it('accepts 5 keys and refuses 6', () => {
    expect(parseOrderBy('a, b desc, c, d asc, e')).toHaveLength(5);
    expect(orderByError('a, b, c, d, e, f')).toBe('$orderby has 6 keys; at most 5 are allowed');
  });

  it.each([
    ['', 'Unexpected end of input in $orderby at position 0 (expected a field name)'],
    ['name,', 'Unexpected end of input in $orderby at position 5 (expected a field name)'],
    [', name', "Unexpected ',' in $orderby at position 0 (expected a field name)"],
    ['name desc desc', "Unexpected 'desc' in $orderby at position 10"],
    ['name DESC', "Unexpected 'DESC' in $orderby at position 5 (keywords are lowercase: 'desc')"],
    ['desc', "Unexpected 'desc' in $orderby at position 0 (expected a field name)"],
    ['name;drop table users', "Unexpected ';' in $orderby at position 4"],
    ['1', "Unexpected '1' in $orderby at position 0 (expected a field name)"],
    ["'name'", "Unexpected ''name'' in $orderby at position 0 (expected a field name)"],
    ['tolower(name)', "Unexpected 'tolower' in $orderby at position 0 (expected a field name)"],
    ['name (asc)', "Unexpected '(' in $orderby at position 5"],
  ])('refuses %j', (text, message) => {
    expect(orderByError(text)).toBe(message);
  });

  it('refuses more than 2000 characters', () => {
    expect(orderByError(`n${' '.repeat(2000)}`)).toBe('$orderby is longer than 2000 characters');
  });
});
