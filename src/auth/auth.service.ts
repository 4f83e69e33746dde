import { Inject, Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock/clock.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import type { ListQueryInput } from '../common/query/odata-to-sql.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { toUserDto } from '../users/dto/user.dto.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { success, type SuccessDto } from '../common/http/success.dto.js';
import type { LoginDto, LoginResponseDto, RegisterDto, ResetPasswordDto } from './dto/auth.dto.js';
import { LoginLockoutService } from './abuse/login-lockout.service.js';
import { PasswordPolicy } from './password-policy.js';
import { UserTokensService } from './user-tokens.service.js';
import type { MeDto, SessionListDto } from './dto/me.dto.js';
import { AccessTokenService } from './jwt.service.js';
import { PasswordsService } from './passwords.service.js';
import { type IssuedSession, SessionsService } from './sessions.service.js';

const INVALID_CREDENTIALS = 'Invalid email or password';

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UsersService,
    private readonly passwords: PasswordsService,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
    private readonly userTokens: UserTokensService,
    private readonly lockout: LoginLockoutService,
    private readonly metrics: MetricsService,
    private readonly passwordPolicy: PasswordPolicy,
  ) {}

  private readonly logger = new Logger('Security');

  /** Self-service registration of a user without an account; answers with a login. */
  async register(dto: RegisterDto, context: RequestContext): Promise<LoginResponseDto> {
    if (!this.config.selfServiceSignup) {
      throw new AppError(ErrorCode.SELF_SERVICE_DISABLED, 'Self-service registration is disabled');
    }
    this.passwordPolicy.assertAcceptable(dto.password, [dto.email, dto.firstName, dto.lastName]);
    const passwordHash = await this.passwords.hash(dto.password);
    const login = await this.dataSource.transaction(async (em) => {
      const user = await this.users.create(em, {
        email: dto.email,
        passwordHash,
        firstName: dto.firstName,
        lastName: dto.lastName,
        status: 'active',
      });
      await this.audit.record(em, { userId: user.id }, context, {
        action: 'user.registered',
        targetType: 'user',
        targetId: user.id,
      });
      await this.userTokens.sendEmailVerification(em, user);
      return this.startSession(em, user, context);
    });
    this.userTokens.flush();
    return login;
  }

  /**
   * Unknown email, wrong password, invited user without a password, disabled user and locked-out
   * email all answer the same 401, after the same argon2 work. Failures count towards a lockout.
   */
  async login(dto: LoginDto, context: RequestContext): Promise<LoginResponseDto> {
    const [locked, user] = await Promise.all([this.lockout.isLocked(dto.email), this.users.findByEmail(dto.email)]);
    // During a lockout even the right password fails, after the same argon2 work as a wrong one.
    const matches = await this.passwords.verify(locked ? null : user?.passwordHash, dto.password);
    if (locked || !user || !matches || user.status !== 'active') {
      const outcome = locked ? 'locked' : 'failure';
      if (!locked) await this.lockout.recordFailure(dto.email);
      this.metrics.logins.inc({ outcome });
      this.logger.warn({ event: `login.${outcome}`, userId: user?.id, ip: context.ip, requestId: context.requestId });
      throw new AppError(ErrorCode.INVALID_CREDENTIALS, INVALID_CREDENTIALS);
    }
    await this.lockout.recordSuccess(dto.email);
    this.metrics.logins.inc({ outcome: 'success' });
    this.logger.log({ event: 'login.success', userId: user.id, ip: context.ip, requestId: context.requestId });
    return this.startSession(this.dataSource.manager, user, context); // one statement: atomic alone
  }

  async refresh(refreshToken: string, context: RequestContext): Promise<LoginResponseDto> {
    const session = await this.sessions.rotate(refreshToken, context);
    const user = session && (await this.users.findById(session.userId));
    if (!session || !user) throw new AppError(ErrorCode.UNAUTHENTICATED, 'The refresh token is not valid');
    return this.loginResponse(user, session);
  }

  /** Mails a reset link when the email belongs to an active user; the answer never tells. */
  async forgotPassword(email: string, context: RequestContext): Promise<SuccessDto> {
    const user = await this.users.findByEmail(email);
    if (user?.status === 'active') {
      await this.dataSource.transaction(async (em) => {
        await this.userTokens.sendPasswordReset(em, user);
        await this.audit.record(em, null, context, { action: 'user.password_reset_requested', targetType: 'user', targetId: user.id });
      });
      this.userTokens.flush();
    }
    return success('If the email belongs to an account, a reset link is on its way');
  }

  /** Sets a new password with a reset token (single use) and ends every session of the user. */
  async resetPassword(dto: ResetPasswordDto, context: RequestContext): Promise<SuccessDto> {
    this.passwordPolicy.assertAcceptable(dto.password, []);
    const passwordHash = await this.passwords.hash(dto.password);
    await this.dataSource.transaction(async (em) => {
      const userId = await this.userTokens.consume(em, dto.token, 'password_reset');
      const [, updated] = userId
        ? await em.query(`UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1 AND status = 'active'`, [
            userId,
            passwordHash,
            this.clock.now(),
          ])
        : [[], 0];
      if (!userId || updated !== 1) throw new AppError(ErrorCode.TOKEN_INVALID, 'The reset token is invalid, expired or already used');
      await this.userTokens.revokeAll(em, userId, 'password_reset');
      await this.sessions.revokeAllForUser(em, userId, 'password_reset');
      await this.audit.record(em, { userId }, context, { action: 'user.password_reset', targetType: 'user', targetId: userId });
    });
    return success('Password changed');
  }

  async verifyEmail(token: string, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      const userId = await this.userTokens.consume(em, token, 'email_verification');
      if (!userId) throw new AppError(ErrorCode.TOKEN_INVALID, 'The verification token is invalid, expired or already used');
      await em.query(`UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $1`, [userId, this.clock.now()]);
      await this.audit.record(em, { userId }, context, { action: 'user.email_verified', targetType: 'user', targetId: userId });
    });
    return success('Email verified');
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.sessionId) await this.sessions.revoke(principal.userId, principal.sessionId, 'logout');
  }

  async me(principal: Principal): Promise<MeDto> {
    const user = await this.users.findWithMemberships(principal.userId);
    if (!user) throw new AppError(ErrorCode.UNAUTHENTICATED, 'The user no longer exists');
    return { ...toUserDto(user), memberships: user.memberships };
  }

  async listSessions(principal: Principal, query: ListQueryInput): Promise<SessionListDto> {
    const sessions = await this.sessions.listLive(principal.userId, query);
    const value = sessions.value.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      userAgent: s.userAgent,
      ip: s.ip,
      current: s.id === principal.sessionId,
    }));
    return { value, count: sessions.count };
  }

  async revokeSession(principal: Principal, sessionId: string): Promise<void> {
    const revoked = await this.sessions.revoke(principal.userId, sessionId, 'revoked');
    if (!revoked) throw new AppError(ErrorCode.SESSION_NOT_FOUND, 'No live session with this id');
  }

  /**
   * Logs the user in within the caller's transaction: a new session, `lastLoginAt` set, and the
   * answer of `/api/auth/login`. Also used by invitation acceptance and signup flows.
   */
  async startSession(em: EntityManager, user: User, context: RequestContext): Promise<LoginResponseDto> {
    const session = await this.sessions.start(em, user.id, context);
    user.lastLoginAt = session.startedAt;
    return this.loginResponse(user, session);
  }

  private loginResponse(user: User, session: IssuedSession): LoginResponseDto {
    return {
      accessToken: this.accessTokens.sign({ userId: user.id, sessionId: session.sessionId }),
      refreshToken: session.refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.accessTokens.ttlSeconds,
      user: toUserDto(user),
    };
  }
}
