import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin } from '../auth/guards/platform-admin.guard.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { ListQueryDto } from '../common/query/list-query.dto.js';
import { CurrentAccess, RequireAccountRole } from '../memberships/account-role.guard.js';
import type { AccountAccess } from '../memberships/memberships.service.js';
import { AuditQuery } from './audit.query.js';
import { AuditEventListDto } from './dto/audit-event.dto.js';

const FILTER_HELP = 'OData `$filter` on action, actorUserId, accountId, targetType, targetId, createdAt. Newest first.';

@ApiTags('Audit events')
@ApiBearerAuth()
@ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.INVALID_FILTER)
@Controller('api')
export class AuditController {
  constructor(private readonly audit: AuditQuery) {}

  @Get('accounts/:id/audit-events')
  @RequireAccountRole('admin')
  @ApiOperation({ summary: "The account's audit events (admin or owner)", description: FILTER_HELP })
  @ApiParam({ name: 'id', type: 'integer', description: 'Account id' })
  @ApiOkResponse({ type: AuditEventListDto })
  forAccount(@CurrentAccess() access: AccountAccess, @Query() query: ListQueryDto): Promise<AuditEventListDto> {
    return this.audit.list(query, access.accountId);
  }

  @Get('audit-events')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Every audit event (platform administrators)', description: FILTER_HELP })
  @ApiOkResponse({ type: AuditEventListDto })
  all(@Query() query: ListQueryDto): Promise<AuditEventListDto> {
    return this.audit.list(query);
  }
}
