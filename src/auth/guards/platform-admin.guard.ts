import { applyDecorators, type CanActivate, type ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import type { AuthedRequest } from '../../common/http/principal.js';

/** Lets platform administrators through; `isAdmin` was read from the database for this request. */
@Injectable()
export class PlatformAdminGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const principal = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
    if (!principal?.isAdmin) throw new AppError(ErrorCode.UNAUTHORIZED, 'Requires a platform administrator');
    return true;
  }
}

/** The route is for platform administrators only (403 `UNAUTHORIZED` for anyone else). */
export const PlatformAdmin = () =>
  applyDecorators(UseGuards(PlatformAdminGuard), ApiForbiddenResponse({ description: 'UNAUTHORIZED: not a platform administrator' }));
