import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin } from '../auth/guards/platform-admin.guard.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../common/http/principal.js';
import { SuccessDto } from '../common/http/success.dto.js';
import { ListQueryDto } from '../common/query/list-query.dto.js';
import { IdPipe } from '../common/validation/ids.js';
import { UserDto } from './dto/user.dto.js';
import { AdminUpdateUserDto, ChangePasswordDto, UpdateMeDto, UserListDto } from './dto/update-user.dto.js';
import { UserManagementService } from './user-management.service.js';

@ApiTags('Users')
@ApiBearerAuth()
@ApiErrors(ErrorCode.UNAUTHENTICATED)
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UserManagementService) {}

  @Get('me')
  @ApiOperation({ summary: 'The caller' })
  @ApiOkResponse({ type: UserDto })
  me(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    return this.users.get(principal.userId);
  }

  @Patch('me')
  @ApiOperation({ summary: "Update the caller's name" })
  @ApiOkResponse({ type: UserDto })
  updateMe(@CurrentPrincipal() principal: Principal, @Body() dto: UpdateMeDto, @CurrentRequestContext() context: RequestContext): Promise<UserDto> {
    return this.users.updateMe(principal, dto, context);
  }

  @Post('me/password')
  @HttpCode(200)
  @ApiOperation({ summary: "Change the caller's password", description: 'The current password is required; every other session ends.' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.INVALID_CREDENTIALS)
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangePasswordDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.users.changePassword(principal, dto, context);
  }

  @Get()
  @PlatformAdmin()
  @ApiOperation({ summary: 'List users (platform administrators)', description: 'OData `$filter` on id, email, firstName, lastName, isAdmin, status, createdAt, lastLoginAt.' })
  @ApiOkResponse({ type: UserListDto })
  @ApiErrors(ErrorCode.INVALID_FILTER)
  list(@Query() query: ListQueryDto): Promise<UserListDto> {
    return this.users.list(query);
  }

  @Get(':id')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Get a user (platform administrators)' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND)
  get(@Param('id', IdPipe) id: number): Promise<UserDto> {
    return this.users.get(id);
  }

  @Patch(':id')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Update a user (platform administrators)', description: 'Names, `isAdmin`, `status`. Disabling ends every session at once.' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND, ErrorCode.LAST_OWNER, ErrorCode.CONFLICT)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: number,
    @Body() dto: AdminUpdateUserDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<UserDto> {
    return this.users.update(principal, id, dto, context);
  }

  @Post(':id/unlock')
  @HttpCode(200)
  @PlatformAdmin()
  @ApiOperation({ summary: 'Lift a login lockout (platform administrators)' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND)
  unlock(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: number, @CurrentRequestContext() context: RequestContext): Promise<SuccessDto> {
    return this.users.unlock(principal, id, context);
  }

  @Delete(':id')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Delete a user (platform administrators)', description: 'Refused while the user is the last active owner of an account.' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.USER_NOT_FOUND, ErrorCode.LAST_OWNER)
  remove(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: number, @CurrentRequestContext() context: RequestContext): Promise<SuccessDto> {
    return this.users.remove(principal, id, context);
  }
}
