import { createHash } from 'node:crypto';
import { INVARIANTS } from '../../setup/invariants.js';
import type { PostgresCluster } from './postgres.js';
import { type Creation, is2xx } from './traffic.js';

/**
 * Rows that only a half-done creation leaves behind. With the SPEC's invariants (an active owner
 * for every account, no orphan memberships or tokens, …) every query must return no rows.
 */
export const PARTIAL_ROWS: Readonly<Record<string, string>> = {
  'user (not a platform administrator) without any membership': `
    SELECT u.id, u.email FROM users u
     WHERE NOT u.is_admin AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)`,
  'Portal account (primary contact set) without its Default API token': `
    SELECT a.id, a.name FROM accounts a
     WHERE a.primary_contact IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.account_id = a.id AND t.name = 'Default')`,
  'signed-up user (account without primary contact) without an email verification token': `
    SELECT u.id, u.email FROM users u
      JOIN memberships m ON m.user_id = u.id JOIN accounts a ON a.id = m.account_id AND a.primary_contact IS NULL
     WHERE NOT EXISTS (SELECT 1 FROM user_tokens t WHERE t.user_id = u.id AND t.purpose = 'email_verification')`,
  'email verification token without its mail in the outbox': `
    SELECT t.id FROM user_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.purpose = 'email_verification'
       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'mail' AND lower(o.payload->>'to') = lower(u.email))`,
  'mail in the outbox to an address that has no user': `
    SELECT o.id FROM outbox o
     WHERE o.kind = 'mail' AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(o.payload->>'to'))`,
  'audit event of an account that does not exist': `
    SELECT e.id, e.action FROM audit_events e
     WHERE e.account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = e.account_id)`,
  'audit event of a user that does not exist': `
    SELECT e.id, e.action FROM audit_events e
     WHERE e.target_type = 'user' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id::text = e.target_id)`,
  'audit event of an API token that does not exist': `
    SELECT e.id, e.action FROM audit_events e
     WHERE e.target_type = 'token' AND NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.id::text = e.target_id)`,
};

const TABLES = ['users', 'accounts', 'memberships', 'api_tokens', 'user_tokens', 'outbox', 'audit_events'];

export interface Verification {
  /** Creations sent, answered 2xx, and answered otherwise (or not at all) but found committed whole. */
  requests: number;
  succeeded: number;
  committedWithoutAnswer: number;
  /** Expected rows looked up, one by one, for the creations (6 for a signup, 7 for a createAccount). */
  rowsChecked: number;
  /** Rows of the tables that the invariant queries scanned. */
  tableRows: number;
  violations: string[];
}

/**
 * After the fault and the recovery: every creation the client saw succeed has all its rows (with
 * the ids it was given), every other creation has all of them or none, and no partial rows or
 * broken invariants exist anywhere in the database.
 */
export async function verify(db: PostgresCluster, creations: Creation[]): Promise<Verification> {
  const inFlight = creations.filter((creation) => creation.reply === undefined);
  if (inFlight.length > 0) throw new Error(`${inFlight.length} creations are still in flight: await them before verifying`);
  const emails = creations.map((creation) => creation.email);
  const names = creations.map((creation) => creation.accountName.toLowerCase());

  const users = await db.query<{ id: number; email: string }>(`SELECT id, lower(email) AS email FROM users WHERE lower(email) = ANY($1)`, [emails]);
  const accounts = await db.query<{ id: number; name: string }>(`SELECT id, lower(name) AS name FROM accounts WHERE lower(name) = ANY($1)`, [names]);
  const userIds = users.map((user) => user.id);
  const accountIds = accounts.map((account) => account.id);
  const memberships = await db.query<{ account_id: number; user_id: number; roles: string[]; status: string }>(
    `SELECT account_id, user_id, roles, status FROM memberships WHERE account_id = ANY($1) OR user_id = ANY($2)`,
    [accountIds, userIds],
  );
  const tokens = await db.query<{ id: string; user_id: number; account_id: number | null; name: string; secret_hash: string }>(
    `SELECT id::text, user_id, account_id, name, secret_hash FROM api_tokens WHERE account_id = ANY($1) OR user_id = ANY($2)`,
    [accountIds, userIds],
  );
  const verificationTokens = await db.query<{ user_id: number }>(
    `SELECT user_id FROM user_tokens WHERE purpose = 'email_verification' AND user_id = ANY($1)`,
    [userIds],
  );
  const mails = await db.query<{ to: string }>(`SELECT lower(payload->>'to') AS "to" FROM outbox WHERE kind = 'mail' AND lower(payload->>'to') = ANY($1)`, [
    emails,
  ]);
  const audit = await db.query<{ action: string; account_id: number | null; target_type: string | null; target_id: string | null }>(
    `SELECT action, account_id, target_type, target_id FROM audit_events
      WHERE account_id = ANY($1) OR (target_type = 'user' AND target_id = ANY($2::text[]))`,
    [accountIds, userIds.map(String)],
  );

  const userByEmail = new Map(users.map((user) => [user.email, user]));
  const accountByName = new Map(accounts.map((account) => [account.name, account]));
  const audited = (action: string, match: (event: (typeof audit)[number]) => boolean) => audit.some((event) => event.action === action && match(event));

  const result: Verification = { requests: creations.length, succeeded: 0, committedWithoutAnswer: 0, rowsChecked: 0, tableRows: 0, violations: [] };
  for (const creation of creations) {
    const user = userByEmail.get(creation.email);
    const account = accountByName.get(creation.accountName.toLowerCase());
    const owner =
      user && account && memberships.some((m) => m.account_id === account.id && m.user_id === user.id && m.roles.includes('owner') && m.status === 'active');
    const token = user && account ? tokens.find((t) => t.user_id === user.id && t.account_id === account.id && t.name === 'Default') : undefined;
    const rows: Record<string, boolean> =
      creation.kind === 'signup'
        ? {
            user: !!user,
            account: !!account,
            'owner membership': !!owner,
            'audit account.created': !!account && audited('account.created', (e) => e.account_id === account.id),
            'email verification token': !!user && verificationTokens.some((t) => t.user_id === user.id),
            'verification mail': mails.some((mail) => mail.to === creation.email),
          }
        : {
            user: !!user,
            account: !!account,
            'owner membership': !!owner,
            'Default API token': !!token,
            'audit user.created': !!user && audited('user.created', (e) => e.target_type === 'user' && e.target_id === String(user.id)),
            'audit account.created': !!account && audited('account.created', (e) => e.account_id === account.id),
            'audit token.created': !!token && audited('token.created', (e) => e.target_type === 'token' && e.target_id === token.id),
          };
    const names = Object.keys(rows);
    const missing = names.filter((name) => !rows[name]);
    result.rowsChecked += names.length;
    const what = `${creation.kind} ${creation.email} (answered ${creation.reply?.status || creation.reply?.error})`;

    if (is2xx(creation.reply)) {
      result.succeeded += 1;
      if (missing.length > 0) result.violations.push(`${what} lacks: ${missing.join(', ')}`);
      const body = creation.reply?.body;
      if (creation.kind === 'signup' && (body?.id !== user?.id || body?.accountId !== account?.id)) {
        result.violations.push(`${what} answered ids that are not in the database`);
      }
      if (creation.kind === 'createAccount') {
        const secret = String(body?.initialToken?.id ?? '');
        if (body?.account?.id !== account?.id || body?.user?.id !== user?.id || sha256Hex(secret) !== token?.secret_hash) {
          result.violations.push(`${what} answered ids or a token that are not in the database`);
        }
      }
    } else if (missing.length === 0) {
      result.committedWithoutAnswer += 1; // committed whole; the answer was lost (killed, or refused after the commit)
    } else if (missing.length < names.length) {
      result.violations.push(`${what} left partial rows: has ${names.filter((name) => rows[name]).join(', ')}; lacks ${missing.join(', ')}`);
    }
  }

  for (const [name, sql] of Object.entries({ ...INVARIANTS, ...PARTIAL_ROWS })) {
    const rows = await db.query(sql);
    if (rows.length > 0) result.violations.push(`${name}: ${JSON.stringify(rows.slice(0, 5))}${rows.length > 5 ? ` and ${rows.length - 5} more` : ''}`);
  }
  for (const table of TABLES) {
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    result.tableRows += row.n;
  }
  return result;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
