import { Body, Controller, createParamDecorator, type ExecutionContext, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RateLimited } from '../../auth/abuse/rate-limit.guard.js';
import type { AuthedRequest, Principal } from '../../common/http/principal.js';
import { CurrentRequestContext, type RequestContext } from '../../common/http/principal.js';
import { Public } from '../../common/http/public.decorator.js';
import { Idempotent } from '../../common/idempotency/idempotency.interceptor.js';
import { CompatAccountsService } from '../compat-accounts.service.js';
import { TestFault } from '../../common/http/test-fault.decorator.js';
import { OptionalBearerGuard } from './optional-bearer.guard.js';
import { V1AccountDto, V1CreateAccountDto, V1ErrorDto } from './v1.dto.js';
import { V1ErrorFilter } from './v1-error.filter.js';
import { toV1Account } from './v1.mapper.js';

/** The caller when a valid bearer token came with the request, else null. */
const OptionalPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal | null => ctx.switchToHttp().getRequest<AuthedRequest>().principal ?? null,
);

/** v1-compatible accounts (seed 002): snake_case, ids `acct_<n>`, errors `{error, message}`. */
@ApiTags('v1-compatible')
@UseFilters(V1ErrorFilter)
@Controller('v1/accounts')
export class V1AccountsController {
  constructor(private readonly compat: CompatAccountsService) {}

  @Public()
  // The lower decorator's guard runs first: the per-IP limit also counts bad tokens.
  @UseGuards(OptionalBearerGuard)
  @RateLimited()
  @Idempotent()
  @Post()
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Create an account',
    description: 'Without a bearer token: self-service signup (when enabled). With one: a platform administrator creates it.',
  })
  @ApiCreatedResponse({ type: V1AccountDto })
  @ApiResponse({ status: 400, type: V1ErrorDto, description: 'invalid_request: missing or malformed fields' })
  @ApiResponse({ status: 401, type: V1ErrorDto, description: 'unauthorized: the bearer token is not valid' })
  @ApiResponse({ status: 403, type: V1ErrorDto, description: 'unauthorized: self-service is off, or the caller is not an administrator' })
  @ApiResponse({ status: 409, type: V1ErrorDto, description: 'email_exists; invalid_request when the account name is taken' })
  async create(
    @OptionalPrincipal() principal: Principal | null,
    @Body() dto: V1CreateAccountDto,
    @CurrentRequestContext() context: RequestContext,
    @TestFault() fault?: string,
  ): Promise<V1AccountDto> {
    return toV1Account(await this.compat.createForV1(principal, dto, context, fault));
  }
}
