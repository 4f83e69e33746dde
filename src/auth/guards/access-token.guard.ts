import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { IsPublic } from '../../common/http/public.decorator.js';
import type { AuthedRequest, Principal } from '../../common/http/principal.js';
import { ApiTokenResolver } from '../../tokens/api-token.resolver.js';
import { looksLikeApiToken } from '../../tokens/token-format.js';
import { AccessTokenService } from '../jwt.service.js';
import { SessionsService } from '../sessions.service.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/;

/**
 * The global guard: every route needs `Authorization: Bearer <token>` unless marked `@Public()`.
 * The token (an access JWT, or an API token told apart by its prefix) is verified and the caller
 * resolved from the database in one query (live session or token, active user),
 * so a logout or a disabled user takes effect on the very next request.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokenService,
    private readonly sessions: SessionsService,
    private readonly apiTokens: ApiTokenResolver,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride(IsPublic, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization;
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (!token) throw new AppError(ErrorCode.UNAUTHENTICATED, 'A bearer token is required');

    const principal = looksLikeApiToken(token) ? await this.apiTokens.resolve(token, req.ip) : await this.fromAccessToken(token);
    if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'The access token is not valid');
    if (principal.readOnly && !SAFE_METHODS.has(req.method)) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'This token is read-only');
    }
    req.principal = principal;
    return true;
  }

  private async fromAccessToken(token: string): Promise<Principal | null> {
    const claims = this.accessTokens.verify(token);
    return claims && this.sessions.resolvePrincipal(claims.sessionId, claims.userId);
  }
}
