import { Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { AccessTokenService } from '../auth/jwt.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { Clock } from '../common/clock/clock.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { success, type SuccessDto } from '../common/http/success.dto.js';
import { pageWithCount } from '../common/query/count.js';
import { compileListQuery, type FieldMap, type ListQueryInput } from '../common/query/odata-to-sql.js';
import { sha256Hex } from '../common/security/secrets.js';
import type { AccountAccess } from '../memberships/memberships.service.js';
import { MembershipsService } from '../memberships/memberships.service.js';
import { ApiToken, type TokenRestrictions } from './api-token.entity.js';
import { ApiTokenResolver } from './api-token.resolver.js';
import type { CreatedTokenDto, CreateTokenDto, IntrospectionDto, TokenDto, TokenListDto } from './dto/token.dto.js';
import { cidrWithin } from './cidr.js';
import { looksLikeApiToken, mintApiToken } from './token-format.js';

export interface NewApiToken {
  userId: number;
  accountId: number | null;
  name: string;
  expiresAt?: Date | null;
  restrictions?: TokenRestrictions | null;
}

const TOKEN_FIELDS: FieldMap = {
  name: { column: 't.name', type: 'string' },
  userId: { column: 't.user_id', type: 'integer' },
  accountId: { column: 't.account_id', type: 'integer' },
  createdAt: { column: 't.created_at', type: 'datetime' },
  lastUsedAt: { column: 't.last_used_at', type: 'datetime' },
  expiresAt: { column: 't.expires_at', type: 'datetime' },
  revokedAt: { column: 't.revoked_at', type: 'datetime' },
};

/** API tokens: minted once, stored only as SHA-256, listed and revoked by their owners and account managers. */
@Injectable()
export class TokensService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly memberships: MembershipsService,
    private readonly audit: AuditService,
    private readonly accessTokens: AccessTokenService,
    private readonly sessions: SessionsService,
    private readonly resolver: ApiTokenResolver,
    private readonly metrics: MetricsService,
  ) {}

  /** Inserts a token in the caller's transaction and returns it with its secret (shown once). */
  async issue(em: EntityManager, token: NewApiToken): Promise<CreatedTokenDto> {
    const secret = mintApiToken();
    const repository = em.getRepository(ApiToken);
    const saved = await repository.save(
      repository.create({
        name: token.name,
        userId: token.userId,
        accountId: token.accountId,
        secretHash: sha256Hex(secret),
        secretHint: secret.slice(-4),
        expiresAt: token.expiresAt ?? null,
        restrictions: token.restrictions ?? null,
      }),
    );
    this.metrics.tokensMinted.inc();
    return { ...toTokenDto(saved), token: secret };
  }

  /**
   * A token for the caller, or (platform administrators) for another user. A token scoped to an
   * account needs the `user` role there; a scoped token can only mint tokens for its own account.
   */
  async create(principal: Principal, dto: CreateTokenDto, context: RequestContext, forUserId = principal.userId): Promise<CreatedTokenDto> {
    if (principal.accountScope && dto.accountId !== principal.accountScope) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'A token limited to an account can only create tokens for that account');
    }
    if (dto.accountId !== undefined) await this.memberships.requireAccess(principal, dto.accountId, 'user');
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt <= this.clock.now()) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'expiresAt must be in the future', [{ field: 'expiresAt', problem: 'must be in the future' }]);
    }
    // A token made with an API token is no broader than it: inside its IP allowlist, and not outliving it.
    const allowlist = dto.restrictions?.ipAllowlist;
    if (principal.ipAllowlist && !(allowlist && allowlist.every((cidr) => cidrWithin(cidr, principal.ipAllowlist!)))) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'A token limited to some addresses can only create tokens limited to those addresses');
    }
    if (principal.expiresAt && !(expiresAt && expiresAt <= principal.expiresAt)) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'A token that expires can only create tokens that expire no later');
    }
    if (forUserId !== principal.userId) {
      const [user] = await this.dataSource.query(`SELECT id FROM users WHERE id = $1`, [forUserId]);
      if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND, 'User not found');
    }
    return this.dataSource.transaction(async (em) => {
      const created = await this.issue(em, {
        userId: forUserId,
        accountId: dto.accountId ?? null,
        name: dto.name,
        expiresAt,
        restrictions: dto.restrictions ? { ...dto.restrictions } : null,
      });
      await this.audit.record(em, principal, context, {
        action: 'token.created',
        accountId: created.accountId,
        targetType: 'token',
        targetId: created.id,
        data: { userId: forUserId, name: created.name },
      });
      return created;
    });
  }

  async listOwn(principal: Principal, query: ListQueryInput): Promise<TokenListDto> {
    return this.list('t.user_id', principal.userId, query);
  }

  async listForAccount(access: AccountAccess, query: ListQueryInput): Promise<TokenListDto> {
    return this.list('t.account_id', access.accountId, query);
  }

  async getOwn(principal: Principal, id: string): Promise<TokenDto> {
    const token = await this.dataSource.getRepository(ApiToken).findOneBy({ id, userId: principal.userId });
    if (!token) throw tokenNotFound();
    return toTokenDto(token);
  }

  async revokeOwn(principal: Principal, id: string, context: RequestContext): Promise<SuccessDto> {
    return this.revokeWhere(principal, context, { id, userId: principal.userId });
  }

  async revokeForAccount(principal: Principal, access: AccountAccess, id: string, context: RequestContext): Promise<SuccessDto> {
    return this.revokeWhere(principal, context, { id, accountId: access.accountId });
  }

  /** RFC 7662 introspection of an access JWT or an API token: live ones described, anything else inactive. */
  async introspect(token: string): Promise<IntrospectionDto> {
    if (looksLikeApiToken(token)) {
      const row = await this.resolver.lookup(token);
      if (!row) return { active: false };
      return {
        active: true,
        token_type: 'api_token',
        sub: String(row.user_id),
        username: row.email,
        account_id: row.account_id,
        ...(row.expires_at && { exp: Math.floor(row.expires_at.getTime() / 1000) }),
        iat: Math.floor(row.created_at.getTime() / 1000),
        jti: row.id,
        is_admin: row.is_admin,
      };
    }
    const claims = this.accessTokens.verify(token);
    const principal = claims && (await this.sessions.resolvePrincipal(claims.sessionId, claims.userId));
    if (!claims || !principal) return { active: false };
    return {
      active: true,
      token_type: 'access_token',
      sub: String(principal.userId),
      username: principal.email,
      account_id: null,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.sessionId,
      is_admin: principal.isAdmin,
    };
  }

  /** Tokens of a user or an account matching the OData query, newest first (never their secrets). */
  private async list(scope: 't.user_id' | 't.account_id', id: number, query: ListQueryInput): Promise<TokenListDto> {
    const params: unknown[] = [id];
    const compiled = compileListQuery(query, TOKEN_FIELDS, params, { defaultOrder: 't.created_at DESC', tiebreak: 't.id' });
    const where = `${scope} = $1 AND (${compiled.where})`;
    const { rows, count } = await pageWithCount<ApiToken>(
      (sql, p) => this.dataSource.query(sql, p),
      `t.id, t.name, t.user_id AS "userId", t.account_id AS "accountId", t.secret_hint AS "secretHint", t.created_at AS "createdAt",
       t.last_used_at AS "lastUsedAt", t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt", t.restrictions`,
      'api_tokens t',
      where,
      compiled,
      params,
    );
    return { value: rows.map(toTokenDto), count };
  }

  private async revokeWhere(principal: Principal, context: RequestContext, where: { id: string; userId?: number; accountId?: number }): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      const token = await em.getRepository(ApiToken).findOne({ where, lock: { mode: 'pessimistic_write' } });
      if (!token) throw tokenNotFound();
      if (!token.revokedAt) {
        token.revokedAt = this.clock.now();
        await em.getRepository(ApiToken).save(token);
        await this.audit.record(em, principal, context, {
          action: 'token.revoked',
          accountId: token.accountId,
          targetType: 'token',
          targetId: token.id,
        });
      }
    });
    return success('Token revoked');
  }
}

function tokenNotFound(): AppError {
  return new AppError(ErrorCode.TOKEN_NOT_FOUND, 'Token not found');
}

export function toTokenDto(token: ApiToken): TokenDto {
  return {
    id: token.id,
    name: token.name,
    userId: token.userId,
    accountId: token.accountId,
    hint: token.secretHint,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    expiresAt: token.expiresAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
    restrictions: token.restrictions,
  };
}
