import { Algorithm, hash } from '@node-rs/argon2';
import pg from 'pg';
import {
  ACCOUNT_EXTRA_MEMBERS,
  ACCOUNT_ID,
  ADJECTIVES,
  ADMIN_EMAIL,
  COUNTRIES,
  LISTER_EMAIL,
  LISTER_ID,
  MEMBER_ACCOUNTS,
  MEMBER_EMAIL,
  MEMBER_ID,
  NOUNS,
  PASSWORD,
  PLANS,
  SYLLABLES,
  type Scale,
} from './lib/fixtures.js';

/** The service's parameters (src/auth/passwords.service.ts): one hash, computed once, for every user. */
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
/** Tables the seeder fills; their secondary indexes are dropped during the load and rebuilt after it. */
const LOADED = ['users', 'accounts', 'memberships'];
/** Bumped when the seeded data changes shape, so an older seed is not reused. */
const SEED_VERSION = 2;

export interface SeedInfo {
  scale: string;
  users: number;
  accounts: number;
  memberships: number;
  seconds: number;
  version: number;
}

/** The seed recorded in this database, if any (so a large seed is made once and reused). */
export async function existingSeed(client: pg.Client): Promise<SeedInfo | null> {
  const [table] = (await client.query(`SELECT to_regclass('bench_seed') AS t`)).rows;
  if (!table.t) return null;
  const [row] = (await client.query(`SELECT scale, users, accounts, memberships, seconds, version FROM bench_seed`)).rows;
  return row ? { ...row, seconds: Number(row.seconds) } : null;
}

/**
 * Replaces the data of a migrated database with `scale`'s users, accounts and memberships, in
 * set-based SQL on the server (`INSERT … SELECT` over `generate_series`: no row crosses the
 * wire), with foreign-key triggers off and secondary indexes rebuilt once at the end.
 */
export async function seed(client: pg.Client, scale: Scale, log: (line: string) => void): Promise<SeedInfo> {
  const started = performance.now();
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const t = performance.now();
    const result = await client.query(sql, params);
    log(`  ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s${result.rowCount ? ` (${result.rowCount.toLocaleString('en-US')} rows)` : ''}`);
  };
  const n = scale.accounts;
  const users = scale.users;
  const passwordHash = await hash(PASSWORD, ARGON2_OPTIONS);

  const tables: string[] = (
    await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('migrations', 'bench_seed')`)
  ).rows.map((r) => r.tablename);
  const indexes: { name: string; def: string }[] = (
    await client.query(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i
        WHERE i.indrelid = ANY($1::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
      [LOADED],
    )
  ).rows;

  await client.query(`SET session_replication_role = replica`); // no FK triggers: the data is consistent by construction
  await client.query(`SET maintenance_work_mem = '512MB'`);
  await step('truncate', `TRUNCATE ${tables.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY`);
  for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);

  await step(
    'users',
    `INSERT INTO users (id, email, password_hash, first_name, last_name, is_admin, status, email_verified_at, created_at, updated_at)
     SELECT i,
            CASE i WHEN 1 THEN $2 WHEN $4::int THEN $3 WHEN $6::int THEN $7 ELSE 'user' || i || '@bench.test' END,
            $1, 'First' || (i % 997), 'Last' || (i % 991), i = 1, 'active', now(),
            timestamptz '2023-01-01' + i * interval '1 minute', timestamptz '2023-01-01' + i * interval '1 minute'
       FROM generate_series(1, $5::int) AS i`,
    [passwordHash, ADMIN_EMAIL, MEMBER_EMAIL, MEMBER_ID, users, LISTER_ID, LISTER_EMAIL],
  );
  await step(
    'accounts',
    `INSERT INTO accounts (id, slug, name, description, primary_contact, type, status, disabled_reason, country, plan, created_at, updated_at)
     SELECT i, 'bench' || i,
            ($1::text[])[1 + i % 32] || ' ' || ($2::text[])[1 + (i / 32) % 32] || ' '
              || initcap(($7::text[])[1 + i % 50] || ($7::text[])[1 + (i / 50) % 50] || ($7::text[])[1 + (i / 2500) % 50]) || ' ' || i,
            CASE WHEN i % 4 = 0 THEN 'Seeded account number ' || i END,
            'contact' || i || '@bench.test',
            CASE WHEN i % 3 = 0 THEN 'individual' ELSE 'business' END,
            CASE WHEN i % 50 = 0 AND i <> $5::int THEN 'disabled' ELSE 'active' END,
            CASE WHEN i % 50 = 0 AND i <> $5::int THEN 'Seeded as disabled' END,
            ($3::text[])[1 + i % 20], ($4::text[])[1 + i % 4],
            timestamptz '2023-01-01' + i * interval '90 seconds', timestamptz '2023-01-01' + i * interval '90 seconds'
       FROM generate_series(1, $6::int) AS i`,
    [ADJECTIVES, NOUNS, COUNTRIES, PLANS, ACCOUNT_ID, n, SYLLABLES],
  );
  // Three members per account: its owner (user a), an admin and a viewer a third and two thirds
  // of the way round; every user is thus in three accounts.
  await step(
    'memberships',
    `INSERT INTO memberships (account_id, user_id, roles, status, created_at, updated_at)
     SELECT a, v.u, v.roles, 'active', timestamptz '2023-01-01' + a * interval '90 seconds', timestamptz '2023-01-01' + a * interval '90 seconds'
       FROM generate_series(1, $1::int) AS a,
            LATERAL (VALUES (((a - 1) % $2::int) + 1, '{owner}'::text[]),
                            (((a - 1 + $2::int / 3) % $2::int) + 1, '{admin}'::text[]),
                            (((a - 1 + 2 * ($2::int / 3)) % $2::int) + 1, '{viewer}'::text[])) AS v(u, roles)`,
    [n, users],
  );
  // Accounts spread over the whole id range by a prime stride (distinct, since it is coprime with n).
  await step(
    'lister in many accounts',
    `INSERT INTO memberships (account_id, user_id, roles, status)
     SELECT (j::bigint * 7919 % $3::int) + 1, $1::int, '{user}', 'active' FROM generate_series(1, $2::int) AS j
     ON CONFLICT (account_id, user_id) DO NOTHING`,
    [LISTER_ID, Math.min(MEMBER_ACCOUNTS, n), n],
  );
  await step(
    'members of the read account',
    `INSERT INTO memberships (account_id, user_id, roles, status)
     SELECT $1::int, u, CASE u WHEN $3::int THEN '{user}'::text[] ELSE '{viewer}'::text[] END, 'active'
       FROM generate_series(2, $2::int) AS u
     ON CONFLICT (account_id, user_id) DO NOTHING`,
    [ACCOUNT_ID, 1 + ACCOUNT_EXTRA_MEMBERS, MEMBER_ID],
  );
  for (const table of ['users', 'accounts', 'memberships']) {
    await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
  }
  for (const index of indexes) await step(`index ${index.name}`, index.def);
  await client.query(`SET session_replication_role = origin`);
  await step('vacuum analyze', `VACUUM (ANALYZE) users, accounts, memberships`);

  const [{ count: memberships }] = (await client.query(`SELECT count(*)::int AS count FROM memberships`)).rows;
  const info: SeedInfo = {
    scale: scale.name,
    users,
    accounts: n,
    memberships,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    version: SEED_VERSION,
  };
  await client.query(
    `CREATE TABLE IF NOT EXISTS bench_seed (scale text, users int, accounts int, memberships int, seconds numeric, version int, seeded_at timestamptz DEFAULT now())`,
  );
  await client.query(`TRUNCATE bench_seed`);
  await client.query(`INSERT INTO bench_seed (scale, users, accounts, memberships, seconds, version) VALUES ($1, $2, $3, $4, $5, $6)`, [
    info.scale,
    info.users,
    info.accounts,
    info.memberships,
    info.seconds,
    info.version,
  ]);
  return info;
}

export function seedMatches(info: SeedInfo | null, scale: Scale): boolean {
  return !!info && info.scale === scale.name && info.users === scale.users && info.accounts === scale.accounts && info.version === SEED_VERSION;
}
