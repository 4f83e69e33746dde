import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { RateLimited } from '../auth/abuse/rate-limit.guard.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin } from '../auth/guards/platform-admin.guard.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../common/http/principal.js';
import { SuccessDto } from '../common/http/success.dto.js';
import { ListQueryDto } from '../common/query/list-query.dto.js';
import { IdPipe, UuidPipe } from '../common/validation/ids.js';
import { CurrentAccess, RequireAccountRole } from '../memberships/account-role.guard.js';
import type { AccountAccess } from '../memberships/memberships.service.js';
import { CreatedTokenDto, CreateTokenDto, IntrospectDto, IntrospectionDto, TokenDto, TokenListDto } from './dto/token.dto.js';
import { TokensService } from './tokens.service.js';

const TOKEN_FILTER_HELP = 'OData `$filter` on name, userId, accountId, createdAt, lastUsedAt, expiresAt, revokedAt (`revokedAt eq null`: the live ones). Newest first.';

@ApiTags('API tokens')
@ApiBearerAuth()
@ApiErrors(ErrorCode.UNAUTHENTICATED)
@Controller('api')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post('tokens')
  @ApiOperation({
    summary: 'Create an API token',
    description: 'The secret is in `token`, shown this once. Sent as `Authorization: Bearer <token>`, it acts as you, limited to `accountId` when given.',
  })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.ACCOUNT_NOT_FOUND, ErrorCode.ACCOUNT_DISABLED)
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateTokenDto, @CurrentRequestContext() context: RequestContext): Promise<CreatedTokenDto> {
    return this.tokens.create(principal, dto, context);
  }

  @Get('tokens')
  @ApiOperation({ summary: 'Your API tokens (never their secrets)', description: TOKEN_FILTER_HELP })
  @ApiOkResponse({ type: TokenListDto })
  @ApiErrors(ErrorCode.INVALID_FILTER)
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListQueryDto): Promise<TokenListDto> {
    return this.tokens.listOwn(principal, query);
  }

  @Post('tokens/introspect')
  @RateLimited()
  @HttpCode(200)
  @PlatformAdmin()
  @ApiOperation({
    summary: 'Introspect a token (RFC 7662), for internal services',
    description: 'An access JWT or an API token; `{active: false}` alone for anything expired, revoked, unknown or whose user is disabled.',
  })
  @ApiOkResponse({ type: IntrospectionDto })
  introspect(@Body() dto: IntrospectDto): Promise<IntrospectionDto> {
    return this.tokens.introspect(dto.token);
  }

  @Get('tokens/:id')
  @ApiOperation({ summary: 'One of your API tokens' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TokenDto })
  @ApiErrors(ErrorCode.TOKEN_NOT_FOUND)
  get(@CurrentPrincipal() principal: Principal, @Param('id', UuidPipe) id: string): Promise<TokenDto> {
    return this.tokens.getOwn(principal, id);
  }

  @Delete('tokens/:id')
  @ApiOperation({ summary: 'Revoke one of your API tokens', description: 'It stops working on the next request.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.TOKEN_NOT_FOUND)
  revoke(@CurrentPrincipal() principal: Principal, @Param('id', UuidPipe) id: string, @CurrentRequestContext() context: RequestContext): Promise<SuccessDto> {
    return this.tokens.revokeOwn(principal, id, context);
  }

  @Post('users/:id/tokens')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Create API Token For User (platform administrators)' })
  @ApiParam({ name: 'id', type: 'integer', description: 'User id' })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND, ErrorCode.ACCOUNT_NOT_FOUND)
  createForUser(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) userId: number,
    @Body() dto: CreateTokenDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<CreatedTokenDto> {
    return this.tokens.create(principal, dto, context, userId);
  }

  @Get('accounts/:id/tokens')
  @RequireAccountRole('manage')
  @ApiOperation({ summary: "The API tokens limited to this account (the account's managers)", description: TOKEN_FILTER_HELP })
  @ApiParam({ name: 'id', type: 'integer', description: 'Account id' })
  @ApiOkResponse({ type: TokenListDto })
  @ApiErrors(ErrorCode.INVALID_FILTER)
  listForAccount(@CurrentAccess() access: AccountAccess, @Query() query: ListQueryDto): Promise<TokenListDto> {
    return this.tokens.listForAccount(access, query);
  }

  @Delete('accounts/:id/tokens/:tokenId')
  @RequireAccountRole('manage')
  @ApiOperation({ summary: 'Revoke an API token limited to this account' })
  @ApiParam({ name: 'id', type: 'integer', description: 'Account id' })
  @ApiParam({ name: 'tokenId', format: 'uuid' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.TOKEN_NOT_FOUND)
  revokeForAccount(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('tokenId', UuidPipe) id: string,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.tokens.revokeForAccount(principal, access, id, context);
  }
}
