import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { RateLimited } from '../auth/abuse/rate-limit.guard.js';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { LoginResponseDto } from '../auth/dto/auth.dto.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../common/http/principal.js';
import { Public } from '../common/http/public.decorator.js';
import { SuccessDto } from '../common/http/success.dto.js';
import { ListQueryDto } from '../common/query/list-query.dto.js';
import { IdPipe } from '../common/validation/ids.js';
import { CurrentAccess, RequireAccountRole } from './account-role.guard.js';
import { AcceptInvitationDto, InvitationListDto } from './dto/member.dto.js';
import { InvitationsService } from './invitations.service.js';
import type { AccountAccess } from './memberships.service.js';

@ApiTags('Invitations')
@Controller('api')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Public()
  @Post('invitations/accept')
  @RateLimited()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Accept an invitation',
    description: 'Activates the invited user (setting their password) and the membership, and answers with a login.',
  })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrors(ErrorCode.INVITATION_INVALID, ErrorCode.INVALID_CREDENTIALS)
  accept(@Body() dto: AcceptInvitationDto, @CurrentRequestContext() context: RequestContext): Promise<LoginResponseDto> {
    return this.invitations.accept(dto, context);
  }

  @Get('accounts/:id/invitations')
  @ApiBearerAuth()
  @RequireAccountRole('manage')
  @ApiOperation({ summary: "The account's invitations", description: 'OData `$filter` on id, email, roles, status, userId, createdAt, expiresAt.' })
  @ApiParam({ name: 'id', type: 'integer', description: 'Account id' })
  @ApiOkResponse({ type: InvitationListDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.INVALID_FILTER)
  list(@CurrentAccess() access: AccountAccess, @Query() query: ListQueryDto): Promise<InvitationListDto> {
    return this.invitations.list(access, query);
  }

  @Delete('accounts/:id/invitations/:invitationId')
  @ApiBearerAuth()
  @RequireAccountRole('manage')
  @ApiOperation({ summary: 'Revoke an invitation', description: 'Its link stops working and the invited membership is removed.' })
  @ApiParam({ name: 'id', type: 'integer', description: 'Account id' })
  @ApiParam({ name: 'invitationId', type: 'integer' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.INVITATION_NOT_FOUND, ErrorCode.INVITATION_INVALID)
  revoke(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('invitationId', IdPipe) invitationId: number,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.invitations.revoke(principal, access, invitationId, context);
  }
}
