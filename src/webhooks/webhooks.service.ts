import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isIP } from 'node:net';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { success, type SuccessDto } from '../common/http/success.dto.js';
import { pageWithCount } from '../common/query/count.js';
import { compileListQuery, type FieldMap, type ListQueryInput } from '../common/query/odata-to-sql.js';
import { SecretBox } from '../common/security/secret-box.js';
import { randomSecret } from '../common/security/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { AccountAccess } from '../memberships/memberships.service.js';
import { OUTBOX_STATUSES } from '../outbox/outbox-message.entity.js';
import { OutboxService, type WebhookEventBody } from '../outbox/outbox.service.js';
import { isPublicAddress } from '../outbox/webhook-sender.js';
import type {
  CreatedWebhookDto,
  CreateWebhookDto,
  UpdateWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
  WebhookDto,
  WebhookListDto,
  WebhookSecretDto,
} from './dto/webhook.dto.js';
import { Webhook } from './webhook.entity.js';

/** How many webhooks one account may have. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 10;

const WEBHOOK_FIELDS: FieldMap = {
  url: { column: 'w.url', type: 'string' },
  active: { column: 'w.active', type: 'boolean' },
  createdAt: { column: 'w.created_at', type: 'datetime' },
};

const DELIVERY_FIELDS: FieldMap = {
  status: { column: 'o.status', type: 'string', values: OUTBOX_STATUSES },
  event: { column: `(o.payload->>'type')`, type: 'string' },
  responseStatus: { column: 'o.response_status', type: 'integer' },
  attempts: { column: 'o.attempts', type: 'integer' },
  createdAt: { column: 'o.created_at', type: 'datetime' },
};

/**
 * An account's webhook subscriptions and their delivery log. The events themselves are queued by
 * `AuditService` in the transaction of each change, and delivered by the outbox.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly secrets: SecretBox,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  async create(principal: Principal, access: AccountAccess, dto: CreateWebhookDto, context: RequestContext): Promise<CreatedWebhookDto> {
    this.assertDeliverable(dto.url);
    const secret = randomSecret('whsec_');
    const webhook = await this.dataSource.transaction(async (em) => {
      // The account row lock makes the count and the insert one step under concurrent requests.
      await em.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [access.accountId]);
      const [{ count }] = await em.query(`SELECT count(*)::int AS count FROM webhooks WHERE account_id = $1`, [access.accountId]);
      if (count >= MAX_WEBHOOKS_PER_ACCOUNT) {
        throw new AppError(ErrorCode.CONFLICT, `An account has at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks`);
      }
      const webhooks = em.getRepository(Webhook);
      const saved = await webhooks.save(
        webhooks.create({
          accountId: access.accountId,
          url: dto.url,
          events: dto.events,
          description: dto.description ?? null,
          secretSealed: this.secrets.seal(secret),
        }),
      );
      await this.recordChange(em, principal, context, 'webhook.created', saved, { url: saved.url, events: saved.events });
      return saved;
    });
    return { ...toWebhookDto(webhook), secret };
  }

  async list(access: AccountAccess, query: ListQueryInput): Promise<WebhookListDto> {
    const params: unknown[] = [access.accountId];
    const compiled = compileListQuery(query, WEBHOOK_FIELDS, params, { defaultOrder: 'w.created_at ASC', tiebreak: 'w.id' });
    const where = `w.account_id = $1 AND (${compiled.where})`;
    const { rows, count } = await pageWithCount<Webhook>(
      (sql, p) => this.dataSource.query(sql, p),
      'w.id, w.account_id AS "accountId", w.url, w.events, w.description, w.active, w.created_at AS "createdAt", w.updated_at AS "updatedAt"',
      'webhooks w',
      where,
      compiled,
      params,
    );
    return { value: rows.map(toWebhookDto), count };
  }

  async get(access: AccountAccess, id: string): Promise<WebhookDto> {
    return toWebhookDto(await this.find(this.dataSource.manager, access, id));
  }

  async update(principal: Principal, access: AccountAccess, id: string, dto: UpdateWebhookDto, context: RequestContext): Promise<WebhookDto> {
    if (dto.url !== undefined) this.assertDeliverable(dto.url);
    const webhook = await this.dataSource.transaction(async (em) => {
      const existing = await this.find(em, access, id, true);
      Object.assign(existing, dto);
      const saved = await em.getRepository(Webhook).save(existing);
      if (dto.active === false) await dropPendingDeliveries(em, id);
      await this.recordChange(em, principal, context, 'webhook.updated', saved, { fields: Object.keys(dto) });
      return saved;
    });
    return toWebhookDto(webhook);
  }

  async remove(principal: Principal, access: AccountAccess, id: string, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      const webhook = await this.find(em, access, id, true);
      await em.getRepository(Webhook).delete({ id });
      await this.recordChange(em, principal, context, 'webhook.deleted', webhook, { url: webhook.url });
    });
    return success('Webhook deleted');
  }

  /** A new signing secret, shown once; deliveries from now on are signed with it. */
  async rotateSecret(principal: Principal, access: AccountAccess, id: string, context: RequestContext): Promise<WebhookSecretDto> {
    const secret = randomSecret('whsec_');
    await this.dataSource.transaction(async (em) => {
      const webhook = await this.find(em, access, id, true);
      await em.getRepository(Webhook).update({ id }, { secretSealed: this.secrets.seal(secret) });
      await this.recordChange(em, principal, context, 'webhook.secret_rotated', webhook);
    });
    return { secret };
  }

  /** Queues a `webhook.ping` event for this webhook alone (to try a receiver). */
  async ping(principal: Principal, access: AccountAccess, id: string, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      const webhook = await this.find(em, access, id);
      if (!webhook.active) throw new AppError(ErrorCode.CONFLICT, 'The webhook is not active');
      const event = await this.recordChange(em, principal, context, 'webhook.ping', webhook);
      await this.outbox.enqueueWebhookEvent(em, event, id);
    });
    this.outbox.kick();
    return success('Ping queued');
  }

  /** The webhook's deliveries, newest first: status, attempts, last answer, and the event sent. */
  async deliveries(access: AccountAccess, id: string, query: ListQueryInput): Promise<WebhookDeliveryListDto> {
    await this.find(this.dataSource.manager, access, id);
    const params: unknown[] = [id];
    const compiled = compileListQuery(query, DELIVERY_FIELDS, params, { defaultOrder: 'o.id DESC', tiebreak: 'o.id' });
    const where = `o.webhook_id = $1 AND (${compiled.where})`;
    const { rows, count } = await pageWithCount<Record<string, any>>(
      (sql, p) => this.dataSource.query(sql, p),
      'o.id, o.status, o.attempts, o.response_status, o.last_error, o.created_at, o.next_attempt_at, o.sent_at, o.payload',
      'outbox o',
      where,
      compiled,
      params,
    );
    return { value: rows.map(toDeliveryDto), count };
  }

  private async find(em: EntityManager, access: AccountAccess, id: string, lock = false): Promise<Webhook> {
    const webhook = await em.getRepository(Webhook).findOne({
      where: { id, accountId: access.accountId },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
    if (!webhook) throw new AppError(ErrorCode.WEBHOOK_NOT_FOUND, 'Webhook not found');
    return webhook;
  }

  private recordChange(
    em: EntityManager,
    principal: Principal,
    context: RequestContext,
    action: string,
    webhook: Webhook,
    data?: Record<string, unknown>,
  ): Promise<WebhookEventBody> {
    return this.audit.record(em, principal, context, { action, accountId: webhook.accountId, targetType: 'webhook', targetId: webhook.id, data });
  }

  /**
   * A URL whose host is a loopback, private or link-local address (or `localhost`) is refused at
   * once unless `WEBHOOK_ALLOW_PRIVATE_NETWORKS`; names are checked again on every delivery.
   */
  private assertDeliverable(url: string): void {
    if (this.config.webhooks.allowPrivateNetworks) return;
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && !isPublicAddress(host))) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'The webhook URL must point to a public address', [
        { field: 'url', problem: 'must point to a public address' },
      ]);
    }
  }
}

/** Pending deliveries of a paused webhook are not sent later: they are marked failed now. */
async function dropPendingDeliveries(em: EntityManager, webhookId: string): Promise<void> {
  await em.query(`UPDATE outbox SET status = 'failed', last_error = 'The webhook was disabled' WHERE webhook_id = $1 AND status = 'pending'`, [webhookId]);
}

function toWebhookDto(webhook: Omit<Webhook, 'secretSealed'>): WebhookDto {
  return {
    id: webhook.id,
    accountId: webhook.accountId,
    url: webhook.url,
    events: webhook.events,
    description: webhook.description,
    active: webhook.active,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}

function toDeliveryDto(row: Record<string, any>): WebhookDeliveryDto {
  return {
    id: String(row.id),
    status: row.status,
    attempts: row.attempts,
    responseStatus: row.response_status,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    deliveredAt: row.sent_at?.toISOString() ?? null,
    event: row.payload,
  };
}
