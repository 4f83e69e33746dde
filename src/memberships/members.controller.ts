import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { Idempotent } from '../common/idempotency/idempotency.interceptor.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors/error-code.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../common/http/principal.js';
import { SuccessDto } from '../common/http/success.dto.js';
import { ListQueryDto } from '../common/query/list-query.dto.js';
import { IdPipe } from '../common/validation/ids.js';
import { CurrentAccess, RequireAccountRole } from './account-role.guard.js';
import { AddedUserDto, AddExistingUserDto, AddUserDto, MemberListDto, TransferOwnershipDto, UpdateMemberDto } from './dto/member.dto.js';
import { MembersService } from './members.service.js';
import type { AccountAccess } from './memberships.service.js';

@ApiTags('Account members')
@ApiBearerAuth()
@ApiParam({ name: 'id', type: 'integer', description: 'Account id' })
@ApiErrors(ErrorCode.UNAUTHENTICATED)
@Controller('api/accounts/:id')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get('users')
  @RequireAccountRole('viewer')
  @ApiOperation({ summary: 'List Account Users', description: 'Members with roles and status. OData `$filter` on id, email, firstName, lastName, roles, status, createdAt.' })
  @ApiOkResponse({ type: MemberListDto })
  @ApiErrors(ErrorCode.INVALID_FILTER)
  list(@CurrentAccess() access: AccountAccess, @Query() query: ListQueryDto): Promise<MemberListDto> {
    return this.members.list(access, query);
  }

  @Idempotent()
  @Post('users')
  @RequireAccountRole('manage')
  @ApiOperation({
    summary: 'Add New User to Account',
    description: 'An email without a user creates an invited user, a pending membership and an invitation mail; an existing user is added directly.',
  })
  @ApiCreatedResponse({ type: AddedUserDto })
  @ApiErrors(ErrorCode.USER_ALREADY_IN_ACCOUNT)
  add(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Body() dto: AddUserDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<AddedUserDto> {
    return this.members.addByEmail(principal, access, dto, context);
  }

  @Idempotent()
  @Post('users/:userId')
  @RequireAccountRole('manage')
  @ApiOperation({ summary: 'Add Existing User to Account' })
  @ApiParam({ name: 'userId', type: 'integer' })
  @ApiCreatedResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND, ErrorCode.USER_ALREADY_IN_ACCOUNT)
  addExisting(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('userId', IdPipe) userId: number,
    @Body() dto: AddExistingUserDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.members.addExisting(principal, access, userId, dto.roles, context);
  }

  @Put('users/:userId')
  @RequireAccountRole('manage')
  @ApiOperation({ summary: 'Update User Roles', description: 'Roles and membership status, within your own rank.' })
  @ApiParam({ name: 'userId', type: 'integer' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND, ErrorCode.LAST_OWNER, ErrorCode.CONFLICT)
  update(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('userId', IdPipe) userId: number,
    @Body() dto: UpdateMemberDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.members.update(principal, access, userId, dto, context);
  }

  @Put('users/:userId/invite')
  @RequireAccountRole('manage')
  @ApiOperation({ summary: 'Resend Invitation Email', description: 'A new link with a new 7-day expiry; the previous link stops working.' })
  @ApiParam({ name: 'userId', type: 'integer' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND, ErrorCode.CONFLICT)
  resendInvitation(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('userId', IdPipe) userId: number,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.members.resendInvitation(principal, access, userId, context);
  }

  @Delete('users/:userId')
  @RequireAccountRole('viewer')
  @ApiOperation({ summary: 'Remove User from Account', description: 'manage role, or any member removing themselves.' })
  @ApiParam({ name: 'userId', type: 'integer' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND, ErrorCode.LAST_OWNER)
  remove(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('userId', IdPipe) userId: number,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.members.remove(principal, access, userId, context);
  }

  @Post('transfer-ownership')
  @HttpCode(200)
  @RequireAccountRole('owner')
  @ApiOperation({ summary: 'Transfer Ownership', description: "The member becomes owner; the caller's owner role becomes admin." })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND, ErrorCode.CONFLICT)
  transferOwnership(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Body() dto: TransferOwnershipDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.members.transferOwnership(principal, access, dto.userId, context);
  }
}
