import type { DataSource } from 'typeorm';

/**
 * Database invariants of SPEC that must hold after any sequence of requests, concurrent or not.
 * Each query lists the rows that break its invariant: every one must return no rows.
 */
export const INVARIANTS: Readonly<Record<string, string>> = {
  'account without an active owner (active owner membership of an active user)': `
    SELECT a.id FROM accounts a
     WHERE NOT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                        WHERE m.account_id = a.id AND 'owner' = ANY(m.roles) AND m.status = 'active' AND u.status = 'active')`,
  'duplicate email (case-insensitive)': `
    SELECT lower(email) AS email, count(*)::int AS n FROM users GROUP BY lower(email) HAVING count(*) > 1`,
  'duplicate account name (case-insensitive)': `
    SELECT lower(name) AS name, count(*)::int AS n FROM accounts GROUP BY lower(name) HAVING count(*) > 1`,
  "live session in a family that has a 'reuse'-revoked row": `
    SELECT s.id, s.family_id FROM sessions s
     WHERE s.revoked_at IS NULL
       AND EXISTS (SELECT 1 FROM sessions r WHERE r.family_id = s.family_id AND r.revoked_reason = 'reuse')`,
  'invitation both accepted and revoked': `
    SELECT id, status FROM invitations WHERE accepted_at IS NOT NULL AND revoked_at IS NOT NULL`,
  'invitation whose status contradicts its timestamps': `
    SELECT id, status, accepted_at, revoked_at FROM invitations
     WHERE (status = 'accepted') <> (accepted_at IS NOT NULL) OR (status = 'revoked') <> (revoked_at IS NOT NULL)`,
  'two pending invitations for one account and email': `
    SELECT account_id, lower(email) AS email FROM invitations WHERE status = 'pending'
     GROUP BY account_id, lower(email) HAVING count(*) > 1`,
  'membership without roles': `
    SELECT id FROM memberships WHERE cardinality(roles) = 0`,
  'active membership of a user who never accepted (user still invited)': `
    SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.status = 'active' AND u.status = 'invited'`,
  'orphan membership (no account or no user)': `
    SELECT m.id FROM memberships m
      LEFT JOIN accounts a ON a.id = m.account_id LEFT JOIN users u ON u.id = m.user_id
     WHERE a.id IS NULL OR u.id IS NULL`,
  'orphan invitation (no account or no user)': `
    SELECT i.id FROM invitations i
      LEFT JOIN accounts a ON a.id = i.account_id LEFT JOIN users u ON u.id = i.user_id
     WHERE a.id IS NULL OR (i.user_id IS NOT NULL AND u.id IS NULL)`,
  'orphan API token (no user, or a scope account that is gone)': `
    SELECT t.id FROM api_tokens t
      LEFT JOIN users u ON u.id = t.user_id LEFT JOIN accounts a ON a.id = t.account_id
     WHERE u.id IS NULL OR (t.account_id IS NOT NULL AND a.id IS NULL)`,
  'orphan session (no user)': `
    SELECT s.id FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE u.id IS NULL`,
};

/** The invariants that some rows break, with those rows (an empty object when all hold). */
export async function invariantViolations(db: DataSource): Promise<Record<string, unknown[]>> {
  const broken: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(INVARIANTS)) {
    const rows: unknown[] = await db.query(sql);
    if (rows.length > 0) broken[name] = rows;
  }
  return broken;
}
