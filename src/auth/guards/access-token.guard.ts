import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { Public } from '../../common/http/public.decorator.js';
import type { AuthedRequest } from '../../common/http/principal.js';
import { AccessTokenService } from '../jwt.service.js';
import { SessionsService } from '../sessions.service.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/;

/**
 * The global guard: every route needs `Authorization: Bearer <token>` unless marked `@Public()`.
 * The token is verified and the caller resolved from the database (live session, active user),
 * so a logout or a disabled user takes effect on the very next request.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokenService,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride(Public, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization;
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (!token) throw new AppError(ErrorCode.UNAUTHENTICATED, 'A bearer token is required');

    // API tokens plug in here, told apart from JWTs by their prefix.
    const claims = this.accessTokens.verify(token);
    const principal = claims && (await this.sessions.resolvePrincipal(claims.sessionId, claims.userId));
    if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'The access token is not valid');
    req.principal = principal;
    return true;
  }
}
