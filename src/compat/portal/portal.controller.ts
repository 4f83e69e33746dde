import { Body, Controller, HttpCode, Post, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin } from '../../auth/guards/platform-admin.guard.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { ApiErrors } from '../../common/http/api-errors.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../../common/http/principal.js';
import { CompatAccountsService } from '../compat-accounts.service.js';
import { TestFault } from '../../common/http/test-fault.decorator.js';
import { PortalCreateAccountDto, PortalCreateAccountResponseDto } from './portal.dto.js';
import { PortalErrorFilter } from './portal-error.filter.js';
import { toPortalCreateAccount } from './portal.mapper.js';

/** Portal-compatible administration (seed 001): camelCase, times in epoch milliseconds. */
@ApiTags('Portal-compatible')
@ApiBearerAuth()
@UseFilters(PortalErrorFilter)
@Controller('api/portal/v1/admin')
export class PortalController {
  constructor(private readonly compat: CompatAccountsService) {}

  @Post('createAccount')
  @HttpCode(200)
  @PlatformAdmin()
  @ApiOperation({
    summary: 'Create Account',
    description:
      'Platform administrators (JWT or API token): an account on the plan of the caller’s account, its primary user and an ' +
      'API token `Default`, in one transaction. `initialToken.id` is the bearer string, shown once. A username in use answers 400.',
  })
  @ApiOkResponse({ type: PortalCreateAccountResponseDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.UNAUTHORIZED, ErrorCode.ACCOUNT_ALREADY_EXISTS)
  async createAccount(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: PortalCreateAccountDto,
    @CurrentRequestContext() context: RequestContext,
    @TestFault() fault?: string,
  ): Promise<PortalCreateAccountResponseDto> {
    return toPortalCreateAccount(await this.compat.createForPortal(principal, dto, context, fault));
  }
}
