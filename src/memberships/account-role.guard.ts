import { applyDecorators, type CanActivate, createParamDecorator, type ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode } from '../common/errors/error-code.js';
import type { AuthedRequest } from '../common/http/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { parseId } from '../common/validation/ids.js';
import type { AccountRole } from './account-role.js';
import { type AccountAccess, MembershipsService } from './memberships.service.js';

const REQUIRED_ROLE = Symbol('requiredAccountRole');

export type RequestWithAccess = AuthedRequest & { access?: AccountAccess };

/**
 * Requires the caller to hold at least `role` in the account named by the `id` (or `accountId`)
 * route parameter. Read from the database on every request: a non-member gets 404
 * `ACCOUNT_NOT_FOUND`, a member ranked too low 403 `UNAUTHORIZED`, a member of a disabled
 * account 403 `ACCOUNT_DISABLED`. Platform administrators pass.
 */
export const RequireAccountRole = (role: AccountRole, options: { ownersOfDisabled?: boolean } = {}) =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLE, { role, options }),
    UseGuards(AccountRoleGuard),
    ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.ACCOUNT_DISABLED, ErrorCode.ACCOUNT_NOT_FOUND),
  );

@Injectable()
export class AccountRoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly memberships: MembershipsService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const needed = this.reflector.get<{ role: AccountRole; options: { ownersOfDisabled?: boolean } } | undefined>(
      REQUIRED_ROLE,
      ctx.getHandler(),
    );
    if (!needed) return true;
    const req = ctx.switchToHttp().getRequest<RequestWithAccess>();
    const params = req.params as Record<string, string>;
    const accountId = parseId(params.id ?? params.accountId, params.id === undefined ? 'accountId' : 'id');
    req.access = await this.memberships.requireAccess(req.principal!, accountId, needed.role, needed.options);
    return true;
  }
}

/** The caller's access to the route's account, as checked by `@RequireAccountRole()`. */
export const CurrentAccess = createParamDecorator((_data: unknown, ctx: ExecutionContext): AccountAccess => {
  const access = ctx.switchToHttp().getRequest<RequestWithAccess>().access;
  if (!access) throw new Error('CurrentAccess used on a route without @RequireAccountRole()');
  return access;
});
