import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RateLimited } from '../../auth/abuse/rate-limit.guard.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { ApiErrors } from '../../common/http/api-errors.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../../common/http/principal.js';
import { Public } from '../../common/http/public.decorator.js';
import { Idempotent } from '../../common/idempotency/idempotency.interceptor.js';
import { CompatAccountsService } from '../compat-accounts.service.js';
import { CreateLandscapeAccountDto, CreateStandaloneAccountDto, LandscapeAccountDto } from './landscape.dto.js';
import { toLandscapeAccount } from './landscape.mapper.js';
import { StandaloneGuard } from './standalone.guard.js';

/** Landscape-compatible account creation (seed 000): snake_case, times as `...Z` without milliseconds. */
@ApiTags('Landscape-compatible')
@Controller('api/v2')
export class LandscapeController {
  constructor(private readonly compat: CompatAccountsService) {}

  @Idempotent()
  @Post('accounts')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create an account for the current user', description: 'The caller becomes its owner; one account per user.' })
  @ApiOkResponse({ type: LandscapeAccountDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.SELF_SERVICE_DISABLED, ErrorCode.USER_ALREADY_HAS_ACCOUNT, ErrorCode.ACCOUNT_ALREADY_EXISTS)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateLandscapeAccountDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<LandscapeAccountDto> {
    return toLandscapeAccount(await this.compat.createForCaller(principal, dto.title, context));
  }

  @Public()
  // The lower decorator's guard runs first: the per-IP limit also counts bootstrap token guesses.
  @UseGuards(StandaloneGuard)
  @RateLimited()
  @Post('standalone-account')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create the standalone account with its first administrator',
    description: 'Standalone deployments only, once. With BOOTSTRAP_TOKEN set, send it as the bearer token.',
  })
  @ApiOkResponse({ type: LandscapeAccountDto })
  @ApiErrors(ErrorCode.NOT_STANDALONE, ErrorCode.UNAUTHENTICATED, ErrorCode.STANDALONE_ACCOUNT_EXISTS, ErrorCode.EMAIL_ALREADY_EXISTS)
  async createStandalone(@Body() dto: CreateStandaloneAccountDto, @CurrentRequestContext() context: RequestContext): Promise<LandscapeAccountDto> {
    return toLandscapeAccount(await this.compat.createStandalone(dto, context));
  }
}
