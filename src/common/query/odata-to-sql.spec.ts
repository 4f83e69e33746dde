import { describe, expect, it } from '@jest/globals';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { parseFilter } from './odata-parser.js';
import { type FieldMap, type ListQueryInput, compileFilter, compileListQuery } from './odata-to-sql.js';

const ACCOUNTS: FieldMap = {
  id: { column: 'a.id', type: 'integer' },
  name: { column: 'a.name', type: 'string' },
  description: { column: 'a.description', type: 'string' },
  status: { column: 'a.status', type: 'string', values: ['active', 'disabled'] },
  type: { column: 'a.type', type: 'string', values: ['individual', 'business'] },
  country: { column: 'a.country', type: 'string' },
  plan: { column: 'a.plan', type: 'string' },
  createdAt: { column: 'a.created_at', type: 'datetime' },
  updatedAt: { column: 'a.updated_at', type: 'datetime' },
};

const MEMBERS: FieldMap = {
  email: { column: 'u.email', type: 'string' },
  roles: { column: 'm.roles', type: 'string[]', values: ['owner', 'admin', 'manage', 'user', 'viewer'] },
  isAdmin: { column: 'u.is_admin', type: 'boolean' },
};

const ORDER = { defaultOrder: 'a.id ASC', tiebreak: 'a.id' };

/** The SQL and parameters of a filter, compiled after `before` parameters of the caller. */
function sql(filter: string, fields = ACCOUNTS, before: unknown[] = []): { where: string; params: unknown[] } {
  const params = [...before];
  const where = compileFilter(parseFilter(filter), fields, params);
  return { where, params };
}

function failure(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

function filterError(filter: string, fields = ACCOUNTS): string {
  const error = failure(() => compileListQuery({ $filter: filter }, fields, [], ORDER));
  expect(error.code).toBe(ErrorCode.INVALID_FILTER);
  return error.message;
}

describe('compileFilter', () => {
  describe('comparisons', () => {
    it.each([
      ['eq', '='],
      ['ne', '<>'],
      ['gt', '>'],
      ['ge', '>='],
      ['lt', '<'],
      ['le', '<='],
    ])('compiles %s to %s with a cast parameter', (op, operator) => {
      expect(sql(`name ${op} 'Acme'`)).toEqual({ where: `a.name ${operator} $1::text`, params: ['Acme'] });
      expect(sql(`id ${op} -7`)).toEqual({ where: `a.id ${operator} $1::int`, params: [-7] });
      expect(sql(`createdAt ${op} 2026-01-02T03:04:05Z`)).toEqual({
        where: `a.created_at ${operator} $1::timestamptz`,
        params: ['2026-01-02T03:04:05Z'],
      });
    });

    it('numbers parameters after those the caller already has', () => {
      expect(sql("name eq 'a' and id eq 2", ACCOUNTS, ['user-1', 42])).toEqual({
        where: '(a.name = $3::text AND a.id = $4::int)',
        params: ['user-1', 42, 'a', 2],
      });
    });

    it('keeps a literal on the left where it was', () => {
      expect(sql("'Acme' lt name")).toEqual({ where: '$1::text < a.name', params: ['Acme'] });
    });

    it('compares two fields of the same type', () => {
      expect(sql('createdAt lt updatedAt')).toEqual({ where: 'a.created_at < a.updated_at', params: [] });
      expect(sql('tolower(name) eq tolower(description)').where).toBe('lower(a.name) = lower(a.description)');
    });

    it('passes datetimes through as ISO text, a plain date as midnight UTC', () => {
      expect(sql('createdAt ge 2026-01-02').params).toEqual(['2026-01-02T00:00:00Z']);
      expect(sql('createdAt ge 2026-01-02T03:04:05.123+05:30').params).toEqual(['2026-01-02T03:04:05.123+05:30']);
    });

    it('accepts the int4 bounds', () => {
      expect(sql('id ge -2147483648 and id le 2147483647').params).toEqual([-2147483648, 2147483647]);
    });

    it('compiles eq null and ne null to IS NULL and IS NOT NULL, on either side', () => {
      expect(sql('description eq null')).toEqual({ where: 'a.description IS NULL', params: [] });
      expect(sql('description ne null')).toEqual({ where: 'a.description IS NOT NULL', params: [] });
      expect(sql('null eq updatedAt').where).toBe('a.updated_at IS NULL');
      expect(sql('tolower(country) ne null').where).toBe('lower(a.country) IS NOT NULL');
    });

    it('compiles boolean fields, bare or compared', () => {
      expect(sql('isAdmin', MEMBERS)).toEqual({ where: 'u.is_admin', params: [] });
      expect(sql('not isAdmin', MEMBERS).where).toBe('NOT (u.is_admin)');
      expect(sql('isAdmin eq false', MEMBERS)).toEqual({ where: 'u.is_admin = $1::boolean', params: [false] });
      expect(sql('isAdmin ne true', MEMBERS).where).toBe('u.is_admin <> $1::boolean');
    });
  });

  describe('logic', () => {
    it('compiles and, or and not with explicit parentheses', () => {
      expect(sql("not (status eq 'active' or type eq 'business') and id gt 3")).toEqual({
        where: '(NOT ((a.status = $1::text OR a.type = $2::text)) AND a.id > $3::int)',
        params: ['active', 'business', 3],
      });
    });

    it('keeps precedence: and binds tighter than or', () => {
      expect(sql('id eq 1 or id eq 2 and id eq 3').where).toBe('(a.id = $1::int OR (a.id = $2::int AND a.id = $3::int))');
    });
  });

  describe('functions', () => {
    it.each([
      ['contains', '%Ac%'],
      ['startswith', 'Ac%'],
      ['endswith', '%Ac'],
    ])('compiles %s to LIKE', (fn, pattern) => {
      expect(sql(`${fn}(name, 'Ac')`)).toEqual({ where: "a.name LIKE $1::text ESCAPE '\\'", params: [pattern] });
    });

    it('escapes %, _ and backslash so that they match literally', () => {
      expect(sql("contains(name, '50%_off\\')").params).toEqual(['%50\\%\\_off\\\\%']);
      expect(sql("startswith(name, '%')").params).toEqual(['\\%%']);
      expect(sql("endswith(name, '_')").params).toEqual(['%\\_']);
    });

    it('compiles tolower and toupper to lower() and upper(), on fields, patterns and literals', () => {
      expect(sql("tolower(name) eq 'acme'")).toEqual({ where: 'lower(a.name) = $1::text', params: ['acme'] });
      expect(sql("toupper(name) eq toupper('acme')")).toEqual({ where: 'upper(a.name) = upper($1::text)', params: ['acme'] });
      expect(sql("contains(tolower(name), tolower('AC%'))")).toEqual({
        where: "lower(a.name) LIKE lower($1::text) ESCAPE '\\'",
        params: ['%AC\\%%'],
      });
      expect(sql("tolower(toupper(name)) eq 'x'").where).toBe('lower(upper(a.name)) = $1::text');
    });

    it('compiles in to IN with one parameter per item', () => {
      expect(sql("status in ('active', 'disabled')")).toEqual({ where: 'a.status IN ($1::text, $2::text)', params: ['active', 'disabled'] });
      expect(sql('id in (1, 2, 3)')).toEqual({ where: 'a.id IN ($1::int, $2::int, $3::int)', params: [1, 2, 3] });
      expect(sql("tolower(country) in ('fr')").where).toBe('lower(a.country) IN ($1::text)');
      expect(sql('createdAt in (2026-01-02)').params).toEqual(['2026-01-02T00:00:00Z']);
    });
  });

  describe('string[] fields', () => {
    it('eq means the list contains the value, ne that it does not', () => {
      expect(sql("roles eq 'admin'", MEMBERS)).toEqual({ where: '$1::text = ANY(m.roles)', params: ['admin'] });
      expect(sql("'admin' eq roles", MEMBERS).where).toBe('$1::text = ANY(m.roles)');
      expect(sql("roles ne 'viewer'", MEMBERS)).toEqual({ where: 'NOT ($1::text = ANY(m.roles))', params: ['viewer'] });
    });

    it('in means the lists overlap, with one array parameter', () => {
      expect(sql("roles in ('owner', 'admin')", MEMBERS, ['acct'])).toEqual({
        where: 'm.roles && $2::text[]',
        params: ['acct', ['owner', 'admin']],
      });
    });

    it('eq null is IS NULL', () => {
      expect(sql('roles eq null', MEMBERS).where).toBe('m.roles IS NULL');
    });

    it('refuses other operators, functions and non-string values', () => {
      expect(filterError("roles gt 'admin'", MEMBERS)).toBe("'gt' cannot compare string[] field 'roles' at position 6 (only eq and ne)");
      expect(filterError("contains(roles, 'ad')", MEMBERS)).toBe("contains needs a string, not string[] field 'roles' at position 9");
      expect(filterError("tolower(roles) eq 'admin'", MEMBERS)).toBe("tolower needs a string, not string[] field 'roles' at position 8");
      expect(filterError('roles eq 1', MEMBERS)).toBe("Cannot compare string[] field 'roles' with the number 1 at position 9");
      expect(filterError('roles eq roles', MEMBERS)).toBe("Cannot compare string[] field 'roles' with string[] field 'roles' at position 6");
      expect(filterError("roles eq 'superuser'", MEMBERS)).toBe(
        "Invalid value 'superuser' for string[] field 'roles' at position 9: expected one of owner, admin, manage, user, viewer",
      );
      expect(filterError("roles in ('admin', 'root')", MEMBERS)).toMatch(/^Invalid value 'root' .* at position 19:/);
    });
  });

  describe('what the SQL never contains', () => {
    it('passes quotes as parameter values', () => {
      expect(sql("name eq 'O''Brien'")).toEqual({ where: 'a.name = $1::text', params: ["O'Brien"] });
    });

    it('keeps injection attempts inside a string value as data', () => {
      expect(sql("name eq 'x''; DROP TABLE users; --'")).toEqual({ where: 'a.name = $1::text', params: ["x'; DROP TABLE users; --"] });
      expect(sql("name eq 'x'' or ''1''=''1'")).toEqual({ where: 'a.name = $1::text', params: ["x' or '1'='1"] });
      expect(sql("contains(name, ''' OR 1=1 --')").params).toEqual(["%' OR 1=1 --%"]);
    });

    it('passes Unicode through as parameter values', () => {
      expect(sql("name eq 'Zoë Café 東京 😀'").params).toEqual(['Zoë Café 東京 😀']);
    });

    it('emits no quote but the ESCAPE character, whatever the literals', () => {
      const { where } = sql(
        "name eq 'a''b' or contains(tolower(description), tolower('%''_')) or id in (1, 2) or createdAt lt 2026-01-01 or not (plan ne 'x')",
      );
      expect(where.replaceAll("ESCAPE '\\'", '')).not.toMatch(/['";]|--/);
    });

    it.each([
      ["name eq 'x'; DROP TABLE users; --'", "Unexpected ';' at position 11"],
      ['name) or (1 eq 1', "Unexpected ')' at position 4"],
      ['1 eq 1', "Comparison 'eq' at position 2 does not involve any field"],
      ["'a' eq 'a'", "Comparison 'eq' at position 4 does not involve any field"],
      ["tolower('a') eq 'a'", "Comparison 'eq' at position 13 does not involve any field"],
      ['null eq null', "Comparison 'eq' at position 5 does not involve any field"],
      ["password_hash eq 'x'", "Unknown field 'password_hash' at position 0"],
      ["passwordHash eq 'x'", "Unknown field 'passwordHash' at position 0"],
      ["id eq 1 or passwordHash ne null", "Unknown field 'passwordHash' at position 11"],
      ["contains(passwordHash, 'a')", "Unknown field 'passwordHash' at position 9"],
      ["constructor eq 'x'", "Unknown field 'constructor' at position 0"],
      ["__proto__ eq 'x'", "Unknown field '__proto__' at position 0"],
      ["toString eq 'x'", "Unknown field 'toString' at position 0"],
      ["Name eq 'x'", "Unknown field 'Name' at position 0"],
      ["created_at gt 2026-01-01", "Unknown field 'created_at' at position 0"],
      ["name eq 'a\u0000b'", 'String at position 8 contains a NUL character'],
      ["contains(name, '\u0000')", 'String at position 15 contains a NUL character'],
      ["tolower('\u0000') eq name", 'String at position 8 contains a NUL character'],
    ])('refuses %j', (filter, message) => {
      expect(filterError(filter)).toBe(message);
    });
  });

  describe('type checks', () => {
    it.each([
      ["createdAt eq 'yesterday'", "Cannot compare datetime field 'createdAt' with a string at position 13"],
      ['createdAt gt 20260101', "Cannot compare datetime field 'createdAt' with the number 20260101 at position 13"],
      ['createdAt eq true', "Cannot compare datetime field 'createdAt' with a boolean at position 13"],
      ["id eq '1'", "Cannot compare integer field 'id' with a string at position 6"],
      ['id eq 1.5', "Cannot compare integer field 'id' with the number 1.5 at position 6"],
      ['id eq 1.0', "Cannot compare integer field 'id' with the number 1.0 at position 6"],
      ['id eq 2026-01-01', "Cannot compare integer field 'id' with a datetime at position 6"],
      ['id eq 2147483648', "Number 2147483648 at position 6 is out of range for integer field 'id'"],
      ['id gt -2147483649', "Number -2147483649 at position 6 is out of range for integer field 'id'"],
      [`id eq ${'9'.repeat(400)}`, `Number ${'9'.repeat(400)} at position 6 is out of range for integer field 'id'`],
      ["id in (1, 'two')", "Cannot compare integer field 'id' with a string at position 10"],
      ['name eq 1', "Cannot compare string field 'name' with the number 1 at position 8"],
      ['name eq false', "Cannot compare string field 'name' with a boolean at position 8"],
      ['tolower(name) eq 1', "Cannot compare tolower(...) with the number 1 at position 17"],
      ['name eq id', "Cannot compare string field 'name' with integer field 'id' at position 5"],
      ['createdAt lt tolower(name)', "Cannot compare datetime field 'createdAt' with tolower(...) at position 10"],
      ["tolower(createdAt) eq 'x'", "tolower needs a string, not datetime field 'createdAt' at position 8"],
      ['toupper(5) eq name', 'toupper needs a string, not the number 5 at position 8'],
      ["contains(id, '1')", "contains needs a string, not integer field 'id' at position 9"],
      ["startswith(createdAt, '2026')", "startswith needs a string, not datetime field 'createdAt' at position 11"],
      ['contains(name, description)', 'The second argument of contains at position 15 must be a string literal'],
      ['endswith(name, 1)', 'The second argument of endswith at position 15 must be a string literal'],
      ['contains(name, null)', 'The second argument of contains at position 15 must be a string literal'],
      ["contains('abc', name)", 'The first argument of contains at position 9 must be a field'],
      ["contains(tolower('abc'), 'a')", 'The first argument of contains at position 9 must be a field'],
      ["'x' in ('x')", "The left side of 'in' at position 0 must be a field"],
      ["name in ('a', null)", "null cannot be in an 'in' list (at position 14); use eq null"],
      ['name gt null', "'gt' cannot compare with null at position 5 (use eq or ne)"],
      ['name', "String field 'name' is not a boolean and cannot be a condition at position 0"],
      ["name eq 'a' and createdAt", "Datetime field 'createdAt' is not a boolean and cannot be a condition at position 16"],
      ["status eq 'bogus'", "Invalid value 'bogus' for string field 'status' at position 10: expected one of active, disabled"],
      ["status in ('active', 'Active')", "Invalid value 'Active' for string field 'status' at position 21: expected one of active, disabled"],
    ])('refuses %j', (filter, message) => {
      expect(filterError(filter)).toBe(message);
    });

    it('refuses ordering operators on booleans', () => {
      expect(filterError('isAdmin gt false', MEMBERS)).toBe("'gt' cannot compare boolean field 'isAdmin' at position 8 (only eq and ne)");
      expect(filterError('isAdmin eq 1', MEMBERS)).toBe("Cannot compare boolean field 'isAdmin' with the number 1 at position 11");
    });

    it('does not check enum values through tolower/toupper', () => {
      expect(sql("tolower(status) eq 'ACTIVE'").params).toEqual(['ACTIVE']);
    });
  });
});

describe('compileListQuery', () => {
  const compile = (input: ListQueryInput, params: unknown[] = []) => compileListQuery(input, ACCOUNTS, params, ORDER);

  it('has defaults: no filter, the default order, 20 rows from the start', () => {
    const params: unknown[] = ['scope'];
    expect(compile({}, params)).toEqual({ where: 'TRUE', orderBy: 'a.id ASC', limit: 20, offset: 0 });
    expect(params).toEqual(['scope']);
  });

  it('treats a blank $filter or $orderby as absent', () => {
    expect(compile({ $filter: '  ', $orderby: '' })).toMatchObject({ where: 'TRUE', orderBy: 'a.id ASC' });
  });

  it('compiles all four together', () => {
    const params: unknown[] = [7];
    expect(compile({ $filter: "name eq 'x'", $orderby: 'name desc, createdAt', $top: '5', $skip: '10' }, params)).toEqual({
      where: 'a.name = $2::text',
      orderBy: 'a.name DESC, a.created_at ASC, a.id ASC',
      limit: 5,
      offset: 10,
    });
    expect(params).toEqual([7, 'x']);
  });

  describe('$orderby', () => {
    it('ends with the tiebreak, appended or reached', () => {
      expect(compile({ $orderby: 'status' }).orderBy).toBe('a.status ASC, a.id ASC');
      expect(compile({ $orderby: 'id desc' }).orderBy).toBe('a.id DESC');
      expect(compile({ $orderby: 'country, id desc, name' }).orderBy).toBe('a.country ASC, a.id DESC');
      expect(compileListQuery({}, ACCOUNTS, [], { defaultOrder: 'a.created_at DESC', tiebreak: 'a.id' }).orderBy).toBe(
        'a.created_at DESC, a.id ASC',
      );
      expect(compileListQuery({}, ACCOUNTS, [], { defaultOrder: '', tiebreak: 'a.id' }).orderBy).toBe('a.id ASC');
    });

    it('refuses unknown fields, list fields and more than 5 keys', () => {
      const error = (input: ListQueryInput, fields = ACCOUNTS) => {
        const e = failure(() => compileListQuery(input, fields, [], ORDER));
        expect(e.code).toBe(ErrorCode.INVALID_FILTER);
        return e.message;
      };
      expect(error({ $orderby: 'name, passwordHash desc' })).toBe("Unknown field 'passwordHash' in $orderby at position 6");
      expect(error({ $orderby: 'constructor' })).toBe("Unknown field 'constructor' in $orderby at position 0");
      expect(error({ $orderby: 'roles' }, MEMBERS)).toBe("Cannot sort by list field 'roles' in $orderby at position 0");
      expect(error({ $orderby: 'id, name, plan, type, status, country' })).toBe('$orderby has 6 keys; at most 5 are allowed');
      expect(error({ $orderby: 'name; DROP TABLE accounts' })).toBe("Unexpected ';' in $orderby at position 4");
    });
  });

  describe('$top and $skip', () => {
    it('accepts non-negative integers within bounds', () => {
      expect(compile({ $top: '0', $skip: '0' })).toMatchObject({ limit: 0, offset: 0 });
      expect(compile({ $top: '100', $skip: '1000000' })).toMatchObject({ limit: 100, offset: 1_000_000 });
      expect(compile({ $top: '007' })).toMatchObject({ limit: 7 });
    });

    it.each([
      ['$top', '101', 'must be at most 100'],
      ['$top', '99999999999999999999999', 'must be at most 100'],
      ['$skip', '1000001', 'must be at most 1000000'],
      ['$top', '-1', 'must be a non-negative integer'],
      ['$top', '1.5', 'must be a non-negative integer'],
      ['$top', '1e2', 'must be a non-negative integer'],
      ['$top', '0x10', 'must be a non-negative integer'],
      ['$top', ' 5', 'must be a non-negative integer'],
      ['$top', '', 'must be a non-negative integer'],
      ['$skip', 'abc', 'must be a non-negative integer'],
      ['$skip', '+3', 'must be a non-negative integer'],
      ['$skip', '１２', 'must be a non-negative integer'],
    ])('%s=%j: VALIDATION_FAILED, %s', (field, value, problem) => {
      const error = failure(() => compile({ [field]: value }));
      expect(error).toMatchObject({ code: ErrorCode.VALIDATION_FAILED, message: `${field} ${problem}`, details: [{ field, problem }] });
    });

    it('refuses a parameter given twice (an array at run time)', () => {
      const input = { $top: ['1', '2'], $filter: "name eq 'x'" } as unknown as ListQueryInput;
      expect(failure(() => compile(input))).toMatchObject({
        code: ErrorCode.VALIDATION_FAILED,
        details: [{ field: '$top', problem: 'must be given once' }],
      });
      const filters = { $filter: ['a', 'b'] } as unknown as ListQueryInput;
      expect(failure(() => compile(filters))).toMatchObject({ details: [{ field: '$filter', problem: 'must be given once' }] });
    });
  });
});
