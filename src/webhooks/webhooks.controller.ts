import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors/error-code.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../common/http/principal.js';
import { SuccessDto } from '../common/http/success.dto.js';
import { ListQueryDto } from '../common/query/list-query.dto.js';
import { UuidPipe } from '../common/validation/ids.js';
import { CurrentAccess, RequireAccountRole } from '../memberships/account-role.guard.js';
import type { AccountAccess } from '../memberships/memberships.service.js';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  UpdateWebhookDto,
  WebhookDeliveryListDto,
  WebhookDto,
  WebhookListDto,
  WebhookSecretDto,
} from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

const SIGNING =
  'Each delivery is a POST of the event as JSON with the headers `Webhook-Id` (the delivery), `Webhook-Event` and ' +
  '`Webhook-Signature: t=<unix seconds>,v1=<hex>`, where the hex is HMAC-SHA256 keyed by the secret of `<t>.<raw body>`. ' +
  'A 2xx answer within 10 s delivers it; anything else is retried with exponential backoff, 10 attempts in all.';

@ApiTags('Webhooks')
@ApiBearerAuth()
@ApiErrors(ErrorCode.UNAUTHENTICATED)
@ApiParam({ name: 'id', type: 'integer', description: 'Account id' })
@Controller('api/accounts/:id/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @RequireAccountRole('admin')
  @ApiOperation({ summary: 'Subscribe a URL to the account\'s events (admin or owner)', description: `The signing secret is in \`secret\`, shown this once. ${SIGNING}` })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiErrors(ErrorCode.CONFLICT)
  create(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Body() dto: CreateWebhookDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<CreatedWebhookDto> {
    return this.webhooks.create(principal, access, dto, context);
  }

  @Get()
  @RequireAccountRole('admin')
  @ApiOperation({ summary: "The account's webhooks (never their secrets)", description: 'OData `$filter` on url, active, createdAt.' })
  @ApiOkResponse({ type: WebhookListDto })
  @ApiErrors(ErrorCode.INVALID_FILTER)
  list(@CurrentAccess() access: AccountAccess, @Query() query: ListQueryDto): Promise<WebhookListDto> {
    return this.webhooks.list(access, query);
  }

  @Get(':webhookId')
  @RequireAccountRole('admin')
  @ApiOperation({ summary: 'One webhook' })
  @ApiParam({ name: 'webhookId', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors(ErrorCode.WEBHOOK_NOT_FOUND)
  get(@CurrentAccess() access: AccountAccess, @Param('webhookId', UuidPipe) webhookId: string): Promise<WebhookDto> {
    return this.webhooks.get(access, webhookId);
  }

  @Patch(':webhookId')
  @RequireAccountRole('admin')
  @ApiOperation({ summary: 'Change the URL, events or description, or pause and resume deliveries' })
  @ApiParam({ name: 'webhookId', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors(ErrorCode.WEBHOOK_NOT_FOUND)
  update(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('webhookId', UuidPipe) webhookId: string,
    @Body() dto: UpdateWebhookDto,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<WebhookDto> {
    return this.webhooks.update(principal, access, webhookId, dto, context);
  }

  @Delete(':webhookId')
  @RequireAccountRole('admin')
  @ApiOperation({ summary: 'Delete a webhook and its delivery log' })
  @ApiParam({ name: 'webhookId', format: 'uuid' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.WEBHOOK_NOT_FOUND)
  remove(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('webhookId', UuidPipe) webhookId: string,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.webhooks.remove(principal, access, webhookId, context);
  }

  @Post(':webhookId/secret')
  @HttpCode(200)
  @RequireAccountRole('admin')
  @ApiOperation({ summary: 'Rotate the signing secret', description: 'The new secret is shown this once and signs every delivery from now on.' })
  @ApiParam({ name: 'webhookId', format: 'uuid' })
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiErrors(ErrorCode.WEBHOOK_NOT_FOUND)
  rotateSecret(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('webhookId', UuidPipe) webhookId: string,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<WebhookSecretDto> {
    return this.webhooks.rotateSecret(principal, access, webhookId, context);
  }

  @Post(':webhookId/ping')
  @HttpCode(202)
  @RequireAccountRole('admin')
  @ApiOperation({ summary: 'Send a `webhook.ping` event to this webhook', description: 'It shows in the delivery log like any other event.' })
  @ApiParam({ name: 'webhookId', format: 'uuid' })
  @ApiAcceptedResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.WEBHOOK_NOT_FOUND, ErrorCode.CONFLICT)
  ping(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: AccountAccess,
    @Param('webhookId', UuidPipe) webhookId: string,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<SuccessDto> {
    return this.webhooks.ping(principal, access, webhookId, context);
  }

  @Get(':webhookId/deliveries')
  @RequireAccountRole('admin')
  @ApiOperation({
    summary: "The webhook's delivery log, newest first",
    description: 'Each delivery with its status, attempts, last HTTP status or error, and the event sent. OData `$filter` on status, event, responseStatus, attempts, createdAt.',
  })
  @ApiParam({ name: 'webhookId', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiErrors(ErrorCode.WEBHOOK_NOT_FOUND, ErrorCode.INVALID_FILTER)
  deliveries(
    @CurrentAccess() access: AccountAccess,
    @Param('webhookId', UuidPipe) webhookId: string,
    @Query() query: ListQueryDto,
  ): Promise<WebhookDeliveryListDto> {
    return this.webhooks.deliveries(access, webhookId, query);
  }
}
