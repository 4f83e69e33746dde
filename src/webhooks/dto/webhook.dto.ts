import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COUNT_DESCRIPTION } from '../../common/query/count.js';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsString, IsUrl, MaxLength } from 'class-validator';
import { BoundedString } from '../../common/validation/fields.js';
import { OptionalNotNull, OptionalNullable } from '../../common/validation/optional.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../outbox/outbox-message.entity.js';
import { ALL_EVENTS, WEBHOOK_EVENTS } from '../webhook.entity.js';

const EVENT_NAMES = [ALL_EVENTS, ...WEBHOOK_EVENTS];

/** An http(s) URL of at most 2,048 characters, without credentials. */
function WebhookUrlField(required = true) {
  const Api = required ? ApiProperty : ApiPropertyOptional;
  return function (target: object, key: string) {
    Api({ format: 'uri', maxLength: 2048, example: 'https://hooks.example.com/accounts' })(target, key);
    IsString()(target, key);
    MaxLength(2048)(target, key);
    IsUrl(
      { protocols: ['http', 'https'], require_protocol: true, require_tld: false, disallow_auth: true, allow_fragments: false },
      { message: '$property must be an http or https URL without credentials' },
    )(target, key);
  };
}

/** A non-empty set of at most 20 event names, or `*`. */
function EventsField(required = true) {
  const Api = required ? ApiProperty : ApiPropertyOptional;
  return function (target: object, key: string) {
    Api({ enum: EVENT_NAMES, isArray: true, minItems: 1, maxItems: 20, example: ['membership.added', 'membership.updated'] })(target, key);
    IsArray()(target, key);
    ArrayMinSize(1)(target, key);
    ArrayMaxSize(20)(target, key);
    ArrayUnique()(target, key);
    IsIn(EVENT_NAMES, { each: true, message: `each value in $property must be * or one of ${WEBHOOK_EVENTS.join(', ')}` })(target, key);
  };
}

export class CreateWebhookDto {
  @WebhookUrlField()
  url: string;

  @EventsField()
  events: string[];

  @ApiPropertyOptional({ maxLength: 255, example: 'Sync members to the CRM' })
  @OptionalNullable()
  @BoundedString(255, { required: false })
  description?: string | null;
}

export class UpdateWebhookDto {
  @OptionalNotNull()
  @WebhookUrlField(false)
  url?: string;

  @OptionalNotNull()
  @EventsField(false)
  events?: string[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 255 })
  @OptionalNullable()
  @BoundedString(255, { required: false })
  description?: string | null;

  @ApiPropertyOptional({ description: 'false pauses deliveries (pending ones are dropped)', example: true })
  @OptionalNotNull()
  @IsBoolean()
  active?: boolean;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 10 })
  accountId: number;

  @ApiProperty({ format: 'uri', example: 'https://hooks.example.com/accounts' })
  url: string;

  @ApiProperty({ enum: EVENT_NAMES, isArray: true, example: ['membership.added', 'membership.updated'] })
  events: string[];

  @ApiProperty({ type: String, nullable: true, example: 'Sync members to the CRM' })
  description: string | null;

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    description: 'The signing secret, shown this once: deliveries carry `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`',
    example: 'whsec_…',
  })
  secret: string;
}

export class WebhookSecretDto {
  @ApiProperty({ description: 'The new signing secret, shown this once; the old one stops signing at once', example: 'whsec_…' })
  secret: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  value: WebhookDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}

/** What a webhook receives: one event of the account, as its body. */
export class WebhookEventDto {
  @ApiProperty({ description: 'The event id (`evt_<n>`): a redelivery of one event has the same id', example: 'evt_1042' })
  id: string;

  @ApiProperty({ enum: [...WEBHOOK_EVENTS, 'webhook.ping'], example: 'membership.added' })
  type: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ example: 10 })
  accountId: number;

  @ApiProperty({ type: 'object', properties: { userId: { type: 'integer', nullable: true }, tokenId: { type: 'string', nullable: true } } })
  actor: { userId: number | null; tokenId: string | null };

  @ApiProperty({ type: 'object', nullable: true, properties: { type: { type: 'string' }, id: { type: 'string' } }, example: { type: 'user', id: '7' } })
  target: { type: string; id: string } | null;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, example: { roles: ['user'] } })
  data: Record<string, unknown> | null;
}

export class WebhookDeliveryDto {
  @ApiProperty({ description: 'Also sent as the `Webhook-Id` header', example: '311' })
  id: string;

  @ApiProperty({ enum: OUTBOX_STATUSES, description: '`sent` once a 2xx answer came; `failed` after 10 attempts', example: 'sent' })
  status: OutboxStatus;

  @ApiProperty({ example: 1 })
  attempts: number;

  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last answer', example: 200 })
  responseStatus: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  lastError: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt is due (pending only)' })
  nextAttemptAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt: string | null;

  @ApiProperty({ type: WebhookEventDto })
  event: WebhookEventDto;
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] })
  value: WebhookDeliveryDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}
