import { applyDecorators, type CanActivate, type ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { AuthedRequest } from '../common/http/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import type { AccountRole } from './account-role.js';
import { type AccountAccess, MembershipsService } from './memberships.service.js';

const REQUIRED_ROLE = Symbol('requiredAccountRole');
const MAX_ID = 2_147_483_647;

export type RequestWithAccess = AuthedRequest & { access?: AccountAccess };

/**
 * Requires the caller to hold at least `role` in the account named by the `id` (or `accountId`)
 * route parameter. Read from the database on every request: a non-member gets 404
 * `ACCOUNT_NOT_FOUND`, a member ranked too low 403 `UNAUTHORIZED`, a member of a disabled
 * account 403 `ACCOUNT_DISABLED`. Platform administrators pass.
 */
export const RequireAccountRole = (role: AccountRole) =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
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
    const needed = this.reflector.get<AccountRole | undefined>(REQUIRED_ROLE, ctx.getHandler());
    if (!needed) return true;
    const req = ctx.switchToHttp().getRequest<RequestWithAccess>();
    const params = req.params as Record<string, string>;
    const accountId = parseAccountId(params.id ?? params.accountId);
    const access = await this.memberships.accessFor(req.principal!, accountId);
    if (!access) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, 'Account not found');
    if (access.accountStatus === 'disabled' && !access.isPlatformAdmin) {
      throw new AppError(ErrorCode.ACCOUNT_DISABLED, 'The account is disabled');
    }
    if (!access.atLeast(needed)) throw new AppError(ErrorCode.UNAUTHORIZED, `Requires the ${needed} role in this account`);
    req.access = access;
    return true;
  }
}

export function parseAccountId(raw: string | undefined): number {
  const id = raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
  if (id < 1 || id > MAX_ID) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'The account id must be an integer from 1 to 2147483647', [
      { field: 'id', problem: 'must be an integer from 1 to 2147483647' },
    ]);
  }
  return id;
}
