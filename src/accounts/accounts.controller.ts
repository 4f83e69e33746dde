import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { RateLimited } from '../auth/abuse/rate-limit.guard.js';
import { Idempotent } from '../common/idempotency/idempotency.interceptor.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors/error-code.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { TestFault } from '../common/http/test-fault.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../common/http/principal.js';
import { Public } from '../common/http/public.decorator.js';
import { SuccessDto } from '../common/http/success.dto.js';
import { ListQueryDto } from '../common/query/list-query.dto.js';
import { CurrentAccess, RequireAccountRole } from '../memberships/account-role.guard.js';
import type { AccountAccess } from '../memberships/memberships.service.js';
import { AccountsService } from './accounts.service.js';
import {
  AccountDto,
  AccountListDto,
  CreateAccountDto,
  SignupDto,
  SignupResponseDto,
  UpdateAccountDto,
} from './dto/account.dto.js';

@ApiTags('Accounts')
@ApiBearerAuth()
@Controller('api/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Public()
  @Idempotent()
  @Post('signup')
  @RateLimited()
  @ApiOperation({ summary: 'Signup New Account', description: 'A new user, their account and its owner membership, in one step. No authentication.' })
  @ApiCreatedResponse({ type: SignupResponseDto })
  @ApiErrors(ErrorCode.SELF_SERVICE_DISABLED, ErrorCode.EMAIL_ALREADY_EXISTS, ErrorCode.ACCOUNT_ALREADY_EXISTS)
  signup(@Body() dto: SignupDto, @CurrentRequestContext() context: RequestContext, @TestFault() fault?: string): Promise<SignupResponseDto> {
    return this.accounts.signup(dto, context, fault);
  }

  @Idempotent()
  @Post()
  @ApiOperation({ summary: 'Create Account', description: 'The caller becomes its owner.' })
  @ApiCreatedResponse({ type: AccountDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.UNAUTHORIZED, ErrorCode.ACCOUNT_ALREADY_EXISTS)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateAccountDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<AccountDto> {
    return this.accounts.create(principal, dto, context);
  }

  @Get()
  @ApiOperation({
    summary: 'List Accounts',
    description:
      'OData `$filter` on id, name, description, status, type, country, plan, createdAt, updatedAt. ' +
      'Platform administrators see every account, anyone else the accounts they belong to.',
  })
  @ApiOkResponse({ type: AccountListDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.INVALID_FILTER)
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListQueryDto): Promise<AccountListDto> {
    return this.accounts.list(principal, query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Get Account by ID or by Name',
    description: 'A path segment of digits only is an account id; anything else is an account name, compared case-insensitively.',
  })
  @ApiParam({ name: 'id', type: 'string', description: 'Account id (digits only) or account name', example: '1' })
  @ApiOkResponse({ type: AccountDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.ACCOUNT_NOT_FOUND, ErrorCode.ACCOUNT_DISABLED)
  get(@CurrentPrincipal() principal: Principal, @Param('id') idOrName: string): Promise<AccountDto> {
    return this.accounts.getByIdOrName(principal, idOrName);
  }

  @Put(':id')
  @RequireAccountRole('manage', { ownersOfDisabled: true })
  @ApiOperation({
    summary: 'Update Account',
    description:
      'manage role; changing `status` needs owner, `plan` a platform administrator. On a disabled account its owners may only change `status` (enable it again).',
  })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiOkResponse({ type: AccountDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.ACCOUNT_ALREADY_EXISTS)
  update(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Body() dto: UpdateAccountDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<AccountDto> {
    return this.accounts.update(principal, access, dto, context);
  }

  @Delete(':id')
  @RequireAccountRole('owner')
  @ApiOperation({ summary: 'Delete Account', description: 'Account owner required. Its memberships, invitations and tokens go with it.' })
  @ApiParam({ name: 'id', type: 'integer', description: 'Account id (the seed calls it accountId)' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED)
  remove(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.accounts.remove(principal, access, context);
  }
}
