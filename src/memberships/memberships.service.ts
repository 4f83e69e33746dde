import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AccountStatus } from '../accounts/account.entity.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal } from '../common/http/principal.js';
import { type AccountRole, rankOf, roleRank } from './account-role.js';

/** What the caller may do in one account, read from the database for this request. */
export class AccountAccess {
  constructor(
    readonly accountId: number,
    readonly accountStatus: AccountStatus,
    /** The caller's active roles there (empty for a platform admin who is not a member). */
    readonly roles: AccountRole[],
    readonly isPlatformAdmin: boolean,
  ) {}

  get rank(): number {
    return this.isPlatformAdmin ? roleRank('owner') : rankOf(this.roles);
  }

  atLeast(role: AccountRole): boolean {
    return this.rank >= roleRank(role);
  }
}

@Injectable()
export class MembershipsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The caller's access to an account in one query, or null when the caller may not see it
   * (no such account, or not an active member: both answer 404 so existence does not leak).
   * A disabled account is visible to platform admins only.
   */
  async accessFor(principal: Principal, accountId: number): Promise<AccountAccess | null> {
    // An API token scoped to another account sees nothing of this one.
    if (principal.accountScope && principal.accountScope !== accountId) return null;
    const [row]: AccessRow[] = await this.dataSource.query(
      `SELECT a.status, m.roles
         FROM accounts a
         LEFT JOIN memberships m ON m.account_id = a.id AND m.user_id = $2 AND m.status = 'active'
        WHERE a.id = $1`,
      [accountId, principal.userId],
    );
    return accessFrom(principal, accountId, row);
  }

  /**
   * The caller's access to an account, required to be at least `role`: 404 `ACCOUNT_NOT_FOUND`
   * when the caller may not see it, 403 `ACCOUNT_DISABLED` for a member of a disabled account
   * (except its owners where `ownersOfDisabled`: the route by which they enable it again),
   * 403 `UNAUTHORIZED` for a rank too low.
   */
  async requireAccess(principal: Principal, accountId: number, role: AccountRole, options: AccessOptions = {}): Promise<AccountAccess> {
    return requireRole(await this.accessFor(principal, accountId), role, options);
  }
}

export interface AccessOptions {
  ownersOfDisabled?: boolean;
}

/** The account's status and the caller's active roles there (null when not a member), as a query reads them. */
export interface AccessRow {
  status: AccountStatus;
  roles: AccountRole[] | null;
}

/**
 * The caller's access from the account's row joined with their active membership (`row` absent:
 * no such account), for queries that read the account and the access in one go.
 */
export function accessFrom(principal: Principal, accountId: number, row: AccessRow | undefined): AccountAccess | null {
  if (!row || (principal.accountScope && principal.accountScope !== accountId)) return null;
  if (!principal.isAdmin && !row.roles) return null;
  return new AccountAccess(accountId, row.status, row.roles ?? [], principal.isAdmin);
}

/** `access` required to be at least `role` (see `requireAccess`). */
export function requireRole(access: AccountAccess | null, role: AccountRole, options: AccessOptions = {}): AccountAccess {
  if (!access) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, 'Account not found');
  const exempt = access.isPlatformAdmin || (options.ownersOfDisabled === true && access.atLeast('owner'));
  if (access.accountStatus === 'disabled' && !exempt) {
    throw new AppError(ErrorCode.ACCOUNT_DISABLED, 'The account is disabled');
  }
  if (!access.atLeast(role)) throw new AppError(ErrorCode.UNAUTHORIZED, `Requires the ${role} role in this account`);
  return access;
}
