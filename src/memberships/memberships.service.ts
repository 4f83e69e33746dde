import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AccountStatus } from '../accounts/account.entity.js';
import type { Principal } from '../common/http/principal.js';
import { type AccountRole, rankOf, roleRank } from './account-role.js';
import type { MembershipStatus } from './membership.entity.js';

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

export interface MyMembership {
  accountId: number;
  accountName: string;
  roles: AccountRole[];
  status: MembershipStatus;
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
    if (principal.accountScope && principal.accountScope !== accountId) return null;
    const rows: { status: AccountStatus; roles: AccountRole[] | null }[] = await this.dataSource.query(
      `SELECT a.status, m.roles
         FROM accounts a
         LEFT JOIN memberships m ON m.account_id = a.id AND m.user_id = $2 AND m.status = 'active'
        WHERE a.id = $1`,
      [accountId, principal.userId],
    );
    const row = rows[0];
    if (!row) return null;
    if (!principal.isAdmin && !row.roles) return null;
    return new AccountAccess(accountId, row.status, row.roles ?? [], principal.isAdmin);
  }

  listForUser(userId: number): Promise<MyMembership[]> {
    return this.dataSource.query(
      `SELECT m.account_id AS "accountId", a.name AS "accountName", m.roles, m.status
         FROM memberships m JOIN accounts a ON a.id = m.account_id
        WHERE m.user_id = $1
        ORDER BY m.account_id`,
      [userId],
    );
  }
}
