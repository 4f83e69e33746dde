import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { success, type SuccessDto } from '../common/http/success.dto.js';
import { boundedCountSql, countOfPage } from '../common/query/count.js';
import { compileListQuery, type FieldMap, type ListQueryInput } from '../common/query/odata-to-sql.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { ACCOUNT_ROLES, type AccountRole, rankOf, roleRank } from './account-role.js';
import type { AddedUserDto, AddUserDto, MemberDto, MemberListDto, UpdateMemberDto } from './dto/member.dto.js';
import { InvitationsService } from './invitations.service.js';
import { Membership, MEMBERSHIP_STATUSES } from './membership.entity.js';
import type { AccountAccess } from './memberships.service.js';

const MEMBER_FIELDS: FieldMap = {
  id: { column: 'u.id', type: 'integer' },
  email: { column: 'u.email', type: 'string' },
  firstName: { column: 'u.first_name', type: 'string' },
  lastName: { column: 'u.last_name', type: 'string' },
  roles: { column: 'm.roles', type: 'string[]', values: ACCOUNT_ROLES },
  status: { column: 'm.status', type: 'string', values: MEMBERSHIP_STATUSES },
  createdAt: { column: 'm.created_at', type: 'datetime' },
};

/**
 * Members of an account and their roles. Every change locks the account row first, so changes
 * to one account's members run one at a time, and checks afterwards that the account still has
 * an active owner (409 `LAST_OWNER` rolls the change back).
 */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly invitations: InvitationsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Adds a user by email. An unknown email becomes an `invited` user with a pending membership
   * and an invitation mail; an existing user is added directly (an invited one is invited again).
   */
  async addByEmail(principal: Principal, access: AccountAccess, dto: AddUserDto, context: RequestContext): Promise<AddedUserDto> {
    assertMayGrant(access, dto.roles);
    const membership = await this.dataSource.transaction(async (em) => {
      const accountName = await lockAccount(em, access.accountId);
      const user =
        (await this.users.findByEmail(dto.email, em)) ??
        (await this.users.create(em, {
          email: dto.email,
          passwordHash: null,
          firstName: dto.firstName ?? '',
          lastName: dto.lastName ?? '',
          status: 'invited',
        }));
      return this.addMember(em, principal, access, accountName, user, dto.roles, context);
    });
    this.invitations.flush();
    return {
      id: membership.userId,
      email: membership.email,
      accountId: access.accountId,
      roles: membership.roles,
      createdAt: membership.createdAt.toISOString(),
    };
  }

  async addExisting(principal: Principal, access: AccountAccess, userId: number, roles: AccountRole[], context: RequestContext): Promise<SuccessDto> {
    assertMayGrant(access, roles);
    await this.dataSource.transaction(async (em) => {
      const accountName = await lockAccount(em, access.accountId);
      const user = await em.getRepository(User).findOneBy({ id: userId });
      if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND, 'User not found');
      await this.addMember(em, principal, access, accountName, user, roles, context);
    });
    this.invitations.flush();
    return success('User added to account');
  }

  async update(principal: Principal, access: AccountAccess, userId: number, dto: UpdateMemberDto, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      await lockAccount(em, access.accountId);
      const memberships = em.getRepository(Membership);
      const membership = await this.memberOf(em, access.accountId, userId);
      assertMayTouch(access, membership.roles);
      const before = { roles: membership.roles, status: membership.status };
      if (dto.roles) {
        const changed = [...dto.roles.filter((r) => !membership.roles.includes(r)), ...membership.roles.filter((r) => !dto.roles!.includes(r))];
        assertMayGrant(access, changed);
        membership.roles = sortRoles(dto.roles);
      }
      if (dto.status && dto.status !== membership.status) {
        if (membership.status === 'invited') {
          throw new AppError(ErrorCode.CONFLICT, 'The user has not accepted the invitation yet');
        }
        membership.status = dto.status;
      }
      await memberships.save(membership);
      if (dto.roles && membership.status === 'invited') {
        // The pending invitation shows (and its revocation checks) the roles the member will get.
        await em.query(`UPDATE invitations SET roles = $3 WHERE account_id = $1 AND user_id = $2 AND status = 'pending'`, [
          access.accountId,
          userId,
          membership.roles,
        ]);
      }
      await assertHasActiveOwner(em, access.accountId);
      await this.audit.record(em, principal, context, {
        action: 'membership.updated',
        accountId: access.accountId,
        targetType: 'user',
        targetId: userId,
        data: { before, after: { roles: membership.roles, status: membership.status } },
      });
    });
    return success('User roles updated');
  }

  async resendInvitation(principal: Principal, access: AccountAccess, userId: number, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      const accountName = await lockAccount(em, access.accountId);
      const membership = await this.memberOf(em, access.accountId, userId);
      assertMayTouch(access, membership.roles);
      if (membership.status !== 'invited' || !(await this.invitations.resend(em, access.accountId, accountName, userId))) {
        throw new AppError(ErrorCode.CONFLICT, 'The user has no pending invitation in this account');
      }
      await this.audit.record(em, principal, context, {
        action: 'invitation.resent',
        accountId: access.accountId,
        targetType: 'user',
        targetId: userId,
      });
    });
    this.invitations.flush();
    return success('Invitation email resent');
  }

  /** Removes a member. Any member may remove themselves; removing others needs manage and rank. */
  async remove(principal: Principal, access: AccountAccess, userId: number, context: RequestContext): Promise<SuccessDto> {
    const self = userId === principal.userId;
    if (!self && !access.atLeast('manage')) throw new AppError(ErrorCode.UNAUTHORIZED, 'Requires the manage role in this account');
    await this.dataSource.transaction(async (em) => {
      await lockAccount(em, access.accountId);
      const membership = await this.memberOf(em, access.accountId, userId);
      if (!self) assertMayTouch(access, membership.roles);
      await em.getRepository(Membership).delete({ id: membership.id });
      await this.invitations.revokeForMember(em, access.accountId, userId);
      await assertHasActiveOwner(em, access.accountId);
      await this.audit.record(em, principal, context, {
        action: self ? 'membership.left' : 'membership.removed',
        accountId: access.accountId,
        targetType: 'user',
        targetId: userId,
        data: { roles: membership.roles },
      });
    });
    return success('User removed from account');
  }

  /** The target becomes owner; the caller's `owner` role becomes `admin`. One transaction. */
  async transferOwnership(principal: Principal, access: AccountAccess, userId: number, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      await lockAccount(em, access.accountId);
      const target = await this.memberOf(em, access.accountId, userId);
      const [user] = await em.query(`SELECT status FROM users WHERE id = $1`, [userId]);
      if (target.status !== 'active' || user?.status !== 'active') {
        throw new AppError(ErrorCode.CONFLICT, 'Ownership goes only to an active member');
      }
      const memberships = em.getRepository(Membership);
      target.roles = sortRoles([...target.roles, 'owner']);
      await memberships.save(target);
      if (userId !== principal.userId) {
        const own = await memberships.findOneBy({ accountId: access.accountId, userId: principal.userId });
        if (own?.roles.includes('owner')) {
          own.roles = sortRoles([...own.roles.filter((r) => r !== 'owner'), 'admin']);
          await memberships.save(own);
        }
      }
      await assertHasActiveOwner(em, access.accountId);
      await this.audit.record(em, principal, context, {
        action: 'account.ownership_transferred',
        accountId: access.accountId,
        targetType: 'user',
        targetId: userId,
      });
    });
    return success('Ownership transferred');
  }

  /**
   * One round trip: the (bounded) count rides on the page's rows as an uncorrelated subquery (run
   * once); only a page with no rows, past the first match or of size 0, asks for it on its own.
   */
  async list(access: AccountAccess, query: ListQueryInput): Promise<MemberListDto> {
    const params: unknown[] = [access.accountId];
    const compiled = compileListQuery(query, MEMBER_FIELDS, params, { defaultOrder: 'm.id ASC', tiebreak: 'm.id' });
    const where = `m.account_id = $1 AND (${compiled.where})`;
    const from = 'memberships m JOIN users u ON u.id = m.user_id';
    const rows: (Record<string, any> & { total: number })[] = await this.dataSource.query(
      `SELECT u.id, u.email, u.first_name, u.last_name, m.roles, m.status, m.created_at, (${boundedCountSql(from, where)}) AS total
         FROM ${from} WHERE ${where} ORDER BY ${compiled.orderBy} LIMIT ${compiled.limit} OFFSET ${compiled.offset}`,
      params,
    );
    const total = await countOfPage((sql, p) => this.dataSource.query(sql, p), rows, compiled, from, where, params);
    return { value: rows.map(toMemberDto), count: total };
  }

  private async addMember(
    em: EntityManager,
    principal: Principal,
    access: AccountAccess,
    accountName: string,
    user: User,
    roles: AccountRole[],
    context: RequestContext,
  ): Promise<Membership & { email: string }> {
    const invite = user.status === 'invited';
    const memberships = em.getRepository(Membership);
    // A second membership for the user fails on uq_memberships_account_user: 409 USER_ALREADY_IN_ACCOUNT.
    const membership = await memberships.save(
      memberships.create({ accountId: access.accountId, userId: user.id, roles: sortRoles(roles), status: invite ? 'invited' : 'active' }),
    );
    if (invite) {
      await this.invitations.create(em, { accountId: access.accountId, accountName, userId: user.id, email: user.email, roles, invitedBy: principal });
    }
    await this.audit.record(em, principal, context, {
      action: invite ? 'membership.invited' : 'membership.added',
      accountId: access.accountId,
      targetType: 'user',
      targetId: user.id,
      data: { roles: membership.roles },
    });
    return Object.assign(membership, { email: user.email });
  }

  private async memberOf(em: EntityManager, accountId: number, userId: number): Promise<Membership> {
    const membership = await em.getRepository(Membership).findOneBy({ accountId, userId });
    if (!membership) throw new AppError(ErrorCode.USER_NOT_FOUND, 'The user is not a member of this account');
    return membership;
  }
}

/** Locks the account row for the rest of the transaction and returns its name. */
async function lockAccount(em: EntityManager, accountId: number): Promise<string> {
  const [row]: { name: string }[] = await em.query(`SELECT name FROM accounts WHERE id = $1 FOR UPDATE`, [accountId]);
  if (!row) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, 'Account not found');
  return row.name;
}

/** Every account keeps at least one active owner whose user is active. */
async function assertHasActiveOwner(em: EntityManager, accountId: number): Promise<void> {
  const [row]: { ok: boolean }[] = await em.query(
    `SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.account_id = $1 AND 'owner' = ANY(m.roles) AND m.status = 'active' AND u.status = 'active') AS ok`,
    [accountId],
  );
  if (!row.ok) throw new AppError(ErrorCode.LAST_OWNER, 'The account must keep at least one active owner');
}

/** A member grants or revokes only roles ranked at or below their own (so only owners touch `owner`). */
function assertMayGrant(access: AccountAccess, roles: readonly AccountRole[]): void {
  if (rankOf(roles) > access.rank) throw new AppError(ErrorCode.UNAUTHORIZED, 'You cannot grant or revoke a role above your own');
}

/** A member changes or removes only members ranked at or below their own. */
function assertMayTouch(access: AccountAccess, targetRoles: readonly AccountRole[]): void {
  if (rankOf(targetRoles) > access.rank) throw new AppError(ErrorCode.UNAUTHORIZED, 'You cannot change a member ranked above you');
}

function sortRoles(roles: readonly AccountRole[]): AccountRole[] {
  return [...new Set(roles)].sort((a, b) => roleRank(b) - roleRank(a));
}

function toMemberDto(row: Record<string, any>): MemberDto {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    roles: row.roles,
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}
