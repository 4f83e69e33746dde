import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { AccessTokenGuard } from '../../auth/guards/access-token.guard.js';
import { AccessTokenService } from '../../auth/jwt.service.js';
import { SessionsService } from '../../auth/sessions.service.js';
import type { AuthedRequest } from '../../common/http/principal.js';
import { ApiTokenResolver } from '../../tokens/api-token.resolver.js';

/** For the access-token guard below, no route is `@Public()`: it always checks the bearer. */
const NO_PUBLIC_ROUTES = { getAllAndOverride: () => undefined } as unknown as Reflector;

/**
 * For a `@Public()` route that also takes a bearer token: without an `Authorization` header the
 * caller stays anonymous; with one, the global access-token guard's own check runs (JWT or API
 * token, 401 `UNAUTHENTICATED` when not valid) and sets `req.principal`.
 */
@Injectable()
export class OptionalBearerGuard implements CanActivate {
  private readonly strict: AccessTokenGuard;

  constructor(accessTokens: AccessTokenService, sessions: SessionsService, apiTokens: ApiTokenResolver) {
    this.strict = new AccessTokenGuard(NO_PUBLIC_ROUTES, accessTokens, sessions, apiTokens);
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.switchToHttp().getRequest<AuthedRequest>().headers.authorization === undefined) return true;
    return this.strict.canActivate(ctx);
  }
}
