import type { DataSource } from 'typeorm';

/** Columns that background work updates on its own (not the requests under test). */
const VOLATILE_COLUMNS: Record<string, string[]> = { api_tokens: ['last_used_at'] };
/** Tables whose rows background work updates (mail and webhook delivery): only their ids count. */
const IDS_ONLY = new Set(['outbox']);

/**
 * A digest of every row of every table of the service (new tables included automatically), for
 * asserting that a refused request changed nothing in the database.
 */
export async function databaseFingerprint(db: DataSource): Promise<Record<string, string>> {
  const tables: { name: string }[] = await db.query(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'migrations' ORDER BY tablename`,
  );
  const fingerprint: Record<string, string> = {};
  for (const { name } of tables) {
    const row = IDS_ONLY.has(name) ? `jsonb_build_object('id', t.id)` : `to_jsonb(t) - $1::text[]`;
    const [{ count, digest }] = await db.query(
      `SELECT count(*)::int AS count, md5(coalesce(string_agg((${row})::text, '|' ORDER BY (${row})::text), '')) AS digest FROM "${name}" t`,
      IDS_ONLY.has(name) ? [] : [VOLATILE_COLUMNS[name] ?? []],
    );
    fingerprint[name] = `${count} rows, ${digest}`;
  }
  return fingerprint;
}
