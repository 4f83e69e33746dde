import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { LoginResponseDto } from '../auth/dto/auth.dto.js';
import { AuthService } from '../auth/auth.service.js';
import { PasswordPolicy } from '../auth/password-policy.js';
import { PasswordsService } from '../auth/passwords.service.js';
import { Clock } from '../common/clock/clock.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { success, type SuccessDto } from '../common/http/success.dto.js';
import { pageWithCount } from '../common/query/count.js';
import { compileListQuery, type FieldMap, type ListQueryInput } from '../common/query/odata-to-sql.js';
import { randomSecret, sha256Hex } from '../common/security/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { User } from '../users/user.entity.js';
import { type AccountRole, rankOf } from './account-role.js';
import type { AcceptInvitationDto, InvitationDto, InvitationListDto } from './dto/member.dto.js';
import { Invitation } from './invitation.entity.js';
import type { AccountAccess } from './memberships.service.js';

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
const INVITATION_TOKEN_PREFIX = 'acs_inv_';

/** `pending` past its expiry reads as `expired`: the stored status is only changed when it matters. */
const STATUS_SQL = `CASE WHEN i.status = 'pending' AND i.expires_at <= clock.now THEN 'expired' ELSE i.status END`;
/** Binds the service clock's time as `clock.now` ($1) for `STATUS_SQL`. */
const FROM = 'invitations i CROSS JOIN (SELECT $1::timestamptz AS now) clock';

const INVITATION_FIELDS: FieldMap = {
  id: { column: 'i.id', type: 'integer' },
  email: { column: 'i.email', type: 'string' },
  roles: { column: 'i.roles', type: 'string[]' },
  status: { column: STATUS_SQL, type: 'string' },
  userId: { column: 'i.user_id', type: 'integer' },
  createdAt: { column: 'i.created_at', type: 'datetime' },
  expiresAt: { column: 'i.expires_at', type: 'datetime' },
};

export interface NewInvitation {
  accountId: number;
  accountName: string;
  userId: number;
  email: string;
  roles: AccountRole[];
  invitedBy: Principal;
}

/**
 * Invitations: `pending → accepted | expired | revoked`. The token exists only in the mail; the
 * database keeps its SHA-256. Every state change is one conditional UPDATE, so an accept racing
 * a revoke or a resend has exactly one winner.
 */
@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly passwords: PasswordsService,
    private readonly auth: AuthService,
    private readonly passwordPolicy: PasswordPolicy,
  ) {}

  /** Creates a pending invitation and its mail, in the caller's transaction. */
  async create(em: EntityManager, invitation: NewInvitation): Promise<void> {
    const now = this.clock.now();
    // An expired invitation never blocks a new one.
    await em.query(
      `UPDATE invitations SET status = 'expired', updated_at = $3
        WHERE account_id = $1 AND lower(email) = lower($2) AND status = 'pending' AND expires_at <= $3`,
      [invitation.accountId, invitation.email, now],
    );
    const token = randomSecret(INVITATION_TOKEN_PREFIX);
    await em.getRepository(Invitation).insert({
      accountId: invitation.accountId,
      email: invitation.email,
      roles: invitation.roles,
      userId: invitation.userId,
      invitedById: invitation.invitedBy.userId,
      tokenHash: sha256Hex(token),
      status: 'pending',
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      sendCount: 1,
    });
    await this.enqueueMail(em, invitation.email, invitation.accountName, token);
  }

  /**
   * Resends the invitation of an invited member: a new token (the old link dies) and a new
   * expiry. Returns false when the member has no invitation to resend.
   */
  async resend(em: EntityManager, accountId: number, accountName: string, userId: number): Promise<boolean> {
    const now = this.clock.now();
    const token = randomSecret(INVITATION_TOKEN_PREFIX);
    // An UPDATE answers [rows, affected count] through TypeORM's query().
    const [rows]: [{ email: string }[], number] = await em.query(
      `UPDATE invitations SET token_hash = $3, expires_at = $4, status = 'pending', send_count = send_count + 1, updated_at = $5
        WHERE id = (SELECT id FROM invitations WHERE account_id = $1 AND user_id = $2 AND status IN ('pending', 'expired')
                     ORDER BY id DESC LIMIT 1) AND status IN ('pending', 'expired')
        RETURNING email`,
      [accountId, userId, sha256Hex(token), new Date(now.getTime() + INVITATION_TTL_MS), now],
    );
    if (rows.length === 0) return false;
    await this.enqueueMail(em, rows[0].email, accountName, token);
    return true;
  }

  /** Revokes the live invitations of a member who leaves or is removed. */
  async revokeForMember(em: EntityManager, accountId: number, userId: number): Promise<void> {
    await em.query(
      `UPDATE invitations SET status = 'revoked', revoked_at = $3, updated_at = $3
        WHERE account_id = $1 AND user_id = $2 AND status = 'pending'`,
      [accountId, userId, this.clock.now()],
    );
  }

  async list(access: AccountAccess, query: ListQueryInput): Promise<InvitationListDto> {
    const params: unknown[] = [this.clock.now(), access.accountId];
    const compiled = compileListQuery(query, INVITATION_FIELDS, params, { defaultOrder: 'i.id DESC', tiebreak: 'i.id' });
    const where = `i.account_id = $2 AND (${compiled.where})`;
    const { rows, count } = await pageWithCount<Record<string, any>>(
      (sql, p) => this.dataSource.query(sql, p),
      `i.id, i.email, i.roles, ${STATUS_SQL} AS status, i.user_id, i.invited_by_id, i.send_count, i.expires_at, i.accepted_at, i.revoked_at, i.created_at`,
      FROM,
      where,
      compiled,
      params,
    );
    return { value: rows.map(toInvitationDto), count };
  }

  /** Revokes a pending invitation and the invited membership it holds open. */
  async revoke(principal: Principal, access: AccountAccess, invitationId: number, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      const [found]: { roles: AccountRole[] }[] = await em.query(`SELECT roles FROM invitations WHERE id = $1 AND account_id = $2`, [
        invitationId,
        access.accountId,
      ]);
      if (!found) throw new AppError(ErrorCode.INVITATION_NOT_FOUND, 'Invitation not found');
      if (rankOf(found.roles) > access.rank) {
        throw new AppError(ErrorCode.UNAUTHORIZED, 'This invitation grants a role above yours');
      }
      const [rows]: [{ user_id: number }[], number] = await em.query(
        `UPDATE invitations SET status = 'revoked', revoked_at = $3, updated_at = $3
          WHERE id = $1 AND account_id = $2 AND status = 'pending' RETURNING user_id`,
        [invitationId, access.accountId, this.clock.now()],
      );
      if (rows.length === 0) throw new AppError(ErrorCode.INVITATION_INVALID, 'The invitation is no longer pending');
      await em.query(`DELETE FROM memberships WHERE account_id = $1 AND user_id = $2 AND status = 'invited'`, [
        access.accountId,
        rows[0].user_id,
      ]);
      await this.audit.record(em, principal, context, {
        action: 'invitation.revoked',
        accountId: access.accountId,
        targetType: 'invitation',
        targetId: invitationId,
      });
    });
    return success('Invitation revoked');
  }

  /**
   * Accepts an invitation: activates the membership (and the invited user, who sets a password
   * here) and logs in. Expired, revoked, superseded or used tokens answer 400 `INVITATION_INVALID`.
   */
  async accept(dto: AcceptInvitationDto, context: RequestContext): Promise<LoginResponseDto> {
    this.passwordPolicy.assertAcceptable(dto.password, [dto.firstName ?? '', dto.lastName ?? '']);
    const passwordHash = await this.passwords.hash(dto.password);
    return this.dataSource.transaction(async (em) => {
      const now = this.clock.now();
      // Like every change to an account's members, this locks the account row first: a removal
      // of the invited member running at the same time goes before or after, never across.
      await em.query(`SELECT 1 FROM accounts WHERE id = (SELECT account_id FROM invitations WHERE token_hash = $1) FOR UPDATE`, [
        sha256Hex(dto.token),
      ]);
      const [invitations]: [{ id: number; account_id: number; user_id: number; roles: AccountRole[] }[], number] = await em.query(
        `UPDATE invitations SET status = 'accepted', accepted_at = $2, updated_at = $2
          WHERE token_hash = $1 AND status = 'pending' AND expires_at > $2
          RETURNING id, account_id, user_id, roles`,
        [sha256Hex(dto.token), now],
      );
      const invitation = invitations[0];
      if (!invitation) throw invalidInvitation();

      const users = em.getRepository(User);
      const user = await users.findOne({ where: { id: invitation.user_id }, lock: { mode: 'pessimistic_write' } });
      if (!user || user.status === 'disabled') throw invalidInvitation();
      if (user.status === 'invited') {
        Object.assign(user, {
          passwordHash,
          status: 'active',
          emailVerifiedAt: user.emailVerifiedAt ?? now,
          ...(dto.firstName !== undefined && { firstName: dto.firstName }),
          ...(dto.lastName !== undefined && { lastName: dto.lastName }),
        });
        await users.save(user);
      } else if (!(await this.passwords.verify(user.passwordHash, dto.password))) {
        // The user already has a password: the invitation does not replace it.
        throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'Invalid email or password');
      }
      // The membership keeps the roles it holds now: they may have been changed while it was invited.
      const [, activated] = await em.query(
        `UPDATE memberships SET status = 'active', updated_at = $3
          WHERE account_id = $1 AND user_id = $2 AND status = 'invited'`,
        [invitation.account_id, user.id, now],
      );
      if (activated !== 1) throw invalidInvitation();
      await this.audit.record(em, { userId: user.id }, context, {
        action: 'invitation.accepted',
        accountId: invitation.account_id,
        targetType: 'invitation',
        targetId: invitation.id,
      });
      return this.auth.startSession(em, user, context);
    });
  }

  /** Sends what the outbox holds now; call after the transaction that enqueued mail committed. */
  flush(): void {
    this.outbox.kick();
  }

  private async enqueueMail(em: EntityManager, to: string, accountName: string, token: string): Promise<void> {
    const link = `${this.config.appUrl}/invitations/accept?token=${encodeURIComponent(token)}`;
    await this.outbox.enqueueMail(em, {
      to,
      subject: `You are invited to join ${accountName}`,
      text:
        `You have been invited to join the account "${accountName}".\n\n` +
        `Accept the invitation within 7 days:\n${link}\n\n` +
        'If you did not expect this invitation, ignore this mail.\n',
    });
  }
}

function invalidInvitation(): AppError {
  return new AppError(ErrorCode.INVITATION_INVALID, 'The invitation is invalid, expired or already used');
}

function toInvitationDto(row: Record<string, any>): InvitationDto {
  return {
    id: row.id,
    email: row.email,
    roles: row.roles,
    status: row.status,
    userId: row.user_id,
    invitedById: row.invited_by_id,
    sendCount: row.send_count,
    expiresAt: row.expires_at.toISOString(),
    acceptedAt: row.accepted_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}
