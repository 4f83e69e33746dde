import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { LoginLockoutService } from '../auth/abuse/login-lockout.service.js';
import { PasswordPolicy } from '../auth/password-policy.js';
import { PasswordsService } from '../auth/passwords.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { success, type SuccessDto } from '../common/http/success.dto.js';
import { compileListQuery, type FieldMap, type ListQueryInput } from '../common/query/odata-to-sql.js';
import { pageWithCount } from '../common/query/count.js';
import { readReplica } from '../database/replica.js';
import { toUserDto, type UserDto } from './dto/user.dto.js';
import type { AdminUpdateUserDto, ChangePasswordDto, UpdateMeDto, UserListDto } from './dto/update-user.dto.js';
import { USER_STATUSES, User } from './user.entity.js';
import { USER_COLUMNS } from './users.service.js';

const USER_FIELDS: FieldMap = {
  id: { column: 'u.id', type: 'integer' },
  email: { column: 'u.email', type: 'string' },
  firstName: { column: 'u.first_name', type: 'string' },
  lastName: { column: 'u.last_name', type: 'string' },
  isAdmin: { column: 'u.is_admin', type: 'boolean' },
  status: { column: 'u.status', type: 'string', values: USER_STATUSES },
  createdAt: { column: 'u.created_at', type: 'datetime' },
  lastLoginAt: { column: 'u.last_login_at', type: 'datetime' },
};

/** The user's own profile and password, and the platform administrators' management of users. */
@Injectable()
export class UserManagementService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly passwords: PasswordsService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly lockout: LoginLockoutService,
    private readonly passwordPolicy: PasswordPolicy,
  ) {}

  async get(userId: number): Promise<UserDto> {
    const user = await this.dataSource.getRepository(User).findOneBy({ id: userId });
    if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND, 'User not found');
    return toUserDto(user);
  }

  /** Users matching the OData query, from a read replica when there is one (the list may lag). */
  async list(query: ListQueryInput): Promise<UserListDto> {
    const params: unknown[] = [];
    const compiled = compileListQuery(query, USER_FIELDS, params, { defaultOrder: 'u.id ASC', tiebreak: 'u.id' });
    const { rows, count } = await pageWithCount<User>((sql, p) => readReplica(this.dataSource, sql, p), USER_COLUMNS, 'users u', compiled.where, compiled, params);
    return { value: rows.map(toUserDto), count };
  }

  async updateMe(principal: Principal, dto: UpdateMeDto, context: RequestContext): Promise<UserDto> {
    return this.update(principal, principal.userId, dto, context);
  }

  /** Changes the caller's password; every other session of theirs ends. */
  async changePassword(principal: Principal, dto: ChangePasswordDto, context: RequestContext): Promise<SuccessDto> {
    const user = await this.dataSource.getRepository(User).findOneBy({ id: principal.userId });
    if (!user || !(await this.passwords.verify(user.passwordHash, dto.currentPassword))) {
      throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'The current password is wrong');
    }
    this.passwordPolicy.assertAcceptable(dto.newPassword, [user.email, user.firstName, user.lastName]);
    const passwordHash = await this.passwords.hash(dto.newPassword);
    await this.dataSource.transaction(async (em) => {
      await em.getRepository(User).update({ id: user.id }, { passwordHash });
      await this.sessions.revokeAllForUser(em, user.id, 'password_changed', principal.sessionId);
      await this.audit.record(em, principal, context, { action: 'user.password_changed', targetType: 'user', targetId: user.id });
    });
    return success('Password changed');
  }

  /**
   * Platform administrators' update. Disabling a user ends their sessions at once and is refused
   * (409 `LAST_OWNER`) when it would leave one of their accounts without an active owner.
   */
  async update(principal: Principal, userId: number, dto: AdminUpdateUserDto, context: RequestContext): Promise<UserDto> {
    await this.dataSource.transaction(async (em) => {
      const owned = dto.status === 'disabled' ? await lockOwnedAccounts(em, userId) : [];
      const users = em.getRepository(User);
      const user = await users.findOne({ where: { id: userId }, lock: { mode: 'pessimistic_write' } });
      if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND, 'User not found');
      if (dto.status && user.status === 'invited') {
        throw new AppError(ErrorCode.CONFLICT, 'An invited user becomes active by accepting an invitation');
      }
      const disabling = dto.status === 'disabled' && user.status !== 'disabled';
      Object.assign(user, dto);
      await users.save(user);
      if (disabling) {
        await assertHaveActiveOwner(em, owned);
        await this.sessions.revokeAllForUser(em, userId, 'user_disabled');
      }
      await this.audit.record(em, principal, context, {
        action: disabling ? 'user.disabled' : 'user.updated',
        targetType: 'user',
        targetId: userId,
        data: { fields: Object.keys(dto) },
      });
    });
    return this.get(userId);
  }

  /** Lifts a login lockout on the user's email. */
  async unlock(principal: Principal, userId: number, context: RequestContext): Promise<SuccessDto> {
    const user = await this.dataSource.getRepository(User).findOneBy({ id: userId });
    if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND, 'User not found');
    await this.lockout.clear(user.email);
    await this.dataSource.transaction((em) =>
      this.audit.record(em, principal, context, { action: 'user.unlocked', targetType: 'user', targetId: userId }),
    );
    return success('User unlocked');
  }

  async remove(principal: Principal, userId: number, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      const owned = await lockOwnedAccounts(em, userId);
      const deleted = await em.getRepository(User).delete({ id: userId });
      if (!deleted.affected) throw new AppError(ErrorCode.USER_NOT_FOUND, 'User not found');
      await assertHaveActiveOwner(em, owned);
      await this.audit.record(em, principal, context, { action: 'user.deleted', targetType: 'user', targetId: userId });
    });
    return success('User deleted');
  }
}

/** Locks the accounts the user owns (as membership changes do) and returns their ids. */
async function lockOwnedAccounts(em: EntityManager, userId: number): Promise<number[]> {
  const rows: { id: number }[] = await em.query(
    `SELECT a.id FROM accounts a JOIN memberships m ON m.account_id = a.id
      WHERE m.user_id = $1 AND 'owner' = ANY(m.roles) ORDER BY a.id FOR UPDATE OF a`,
    [userId],
  );
  return rows.map((r) => r.id);
}

/** Fails with `LAST_OWNER` when one of the accounts has no active owner left. */
async function assertHaveActiveOwner(em: EntityManager, accountIds: number[]): Promise<void> {
  if (accountIds.length === 0) return;
  const orphaned: { id: number }[] = await em.query(
    `SELECT a.id FROM accounts a
      WHERE a.id = ANY($1::int[])
        AND NOT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                         WHERE m.account_id = a.id AND 'owner' = ANY(m.roles) AND m.status = 'active' AND u.status = 'active')`,
    [accountIds],
  );
  if (orphaned.length > 0) {
    throw new AppError(ErrorCode.LAST_OWNER, `The user is the last active owner of account ${orphaned.map((a) => a.id).join(', ')}`);
  }
}
