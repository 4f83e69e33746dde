/** Account roles, lowest first: a member's rank is the highest of their roles. */
export const ACCOUNT_ROLES = ['viewer', 'user', 'manage', 'admin', 'owner'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

export function roleRank(role: AccountRole): number {
  return ACCOUNT_ROLES.indexOf(role);
}

/** The rank of a set of roles: the highest of them, or -1 for none. */
export function rankOf(roles: readonly AccountRole[]): number {
  return roles.reduce((rank, role) => Math.max(rank, roleRank(role)), -1);
}

export function isAccountRole(value: unknown): value is AccountRole {
  return typeof value === 'string' && (ACCOUNT_ROLES as readonly string[]).includes(value);
}
