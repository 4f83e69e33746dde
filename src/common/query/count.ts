import type { CompiledListQuery } from './odata-to-sql.js';

/**
 * List counts, bounded: a count is exact up to `EXACT_COUNT_LIMIT` matches; past that (a platform
 * administrator listing a million accounts, say) counting every match would cost more than the
 * page itself, so the answer is PostgreSQL's estimate of the matches, never below the limit + 1.
 */
export const EXACT_COUNT_LIMIT = 10_000;

export const COUNT_DESCRIPTION = `How many match the filter: exact up to ${EXACT_COUNT_LIMIT.toLocaleString('en-US')}; past that, the database's estimate`;

/** SQL for the number of matches of `FROM … WHERE …`, counted up to the limit + 1 (`count` column). */
export function boundedCountSql(from: string, where: string): string {
  return `SELECT count(*)::int AS count FROM (SELECT 1 FROM ${from} WHERE ${where} LIMIT ${EXACT_COUNT_LIMIT + 1}) matches`;
}

/** Runs SQL on some connection: the data source, a replica, a transaction. */
export type Query = (sql: string, params: unknown[]) => Promise<any[]>;

/**
 * One page of `SELECT <select> FROM <from> WHERE <where>` in the compiled order, and the bounded
 * count of all its matches, side by side: what every list endpoint answers.
 */
export async function pageWithCount<T>(
  query: Query,
  select: string,
  from: string,
  where: string,
  page: CompiledListQuery,
  params: unknown[],
): Promise<{ rows: T[]; count: number }> {
  const [rows, [{ count }]] = await Promise.all([
    query(`SELECT ${select} FROM ${from} WHERE ${where} ORDER BY ${page.orderBy} LIMIT ${page.limit} OFFSET ${page.offset}`, params),
    query(boundedCountSql(from, where), params),
  ]);
  return { rows, count: await answerCount(query, count, from, where, params) };
}

/** The count to answer for a bounded count: itself up to the limit, else the planner's estimate. */
async function answerCount(query: Query, counted: number, from: string, where: string, params: unknown[]): Promise<number> {
  if (counted <= EXACT_COUNT_LIMIT) return counted;
  const [row] = await query(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from} WHERE ${where}`, params);
  const plan = (typeof row['QUERY PLAN'] === 'string' ? JSON.parse(row['QUERY PLAN']) : row['QUERY PLAN']) as { Plan: { 'Plan Rows': number } }[];
  return Math.max(Math.round(plan[0].Plan['Plan Rows']), EXACT_COUNT_LIMIT + 1);
}

/**
 * The count for a page whose rows carry the bounded count as `total` (so that one round trip
 * serves both). A page with no rows carries none: the count is then 0 when the page started at
 * the first match and could hold one, else counted on its own.
 */
export async function countOfPage(
  query: Query,
  rows: { total: number }[],
  page: { offset: number; limit: number },
  from: string,
  where: string,
  params: unknown[],
): Promise<number> {
  let counted: number;
  if (rows.length) counted = rows[0].total;
  else if (page.offset === 0 && page.limit > 0) return 0;
  else [{ count: counted }] = await query(boundedCountSql(from, where), params);
  return answerCount(query, counted, from, where, params);
}
