import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { OutboxService, type WebhookEventBody } from '../outbox/outbox.service.js';
import { WEBHOOK_EVENTS } from '../webhooks/webhook.entity.js';
import { AuditEvent } from './audit-event.entity.js';

const WEBHOOK_EVENT_SET = new Set<string>(WEBHOOK_EVENTS);

export interface AuditEntry {
  action: string;
  accountId?: number | null;
  targetType?: string;
  targetId?: string | number;
  data?: Record<string, unknown>;
}

/**
 * Writes audit events, always inside the transaction of the change they describe. An event of an
 * account that its webhooks may subscribe to (`WEBHOOK_EVENTS`) is queued for them in the same
 * transaction, so it is delivered if and only if the change commits.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Security');

  constructor(private readonly outbox: OutboxService) {}

  /** Records the event; returns it as webhooks receive it. */
  async record(
    em: EntityManager,
    actor: Pick<Principal, 'userId' | 'tokenId'> | null,
    context: RequestContext | null,
    entry: AuditEntry,
  ): Promise<WebhookEventBody> {
    const inserted = await em.getRepository(AuditEvent).insert({
      action: entry.action,
      actorUserId: actor?.userId ?? null,
      actorTokenId: actor?.tokenId ?? null,
      accountId: entry.accountId ?? null,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId === undefined ? null : String(entry.targetId),
      data: (entry.data ?? null) as AuditEvent['data'] & object,
      ip: context?.ip ?? null,
      requestId: context?.requestId ?? null,
    });
    const [{ id, createdAt }] = inserted.generatedMaps as { id: string; createdAt: Date }[];
    const event: WebhookEventBody = {
      id: `evt_${id}`,
      type: entry.action,
      createdAt: createdAt.toISOString(),
      accountId: entry.accountId ?? 0,
      actor: { userId: actor?.userId ?? null, tokenId: actor?.tokenId ?? null },
      target: entry.targetType ? { type: entry.targetType, id: String(entry.targetId) } : null,
      data: entry.data ?? null,
    };
    if (entry.accountId && WEBHOOK_EVENT_SET.has(entry.action)) await this.outbox.enqueueWebhookEvent(em, event);
    // Also a log line (after the insert; should the transaction roll back, the line says it was attempted).
    this.logger.log({
      event: entry.action,
      actorUserId: actor?.userId,
      actorTokenId: actor?.tokenId,
      accountId: entry.accountId ?? undefined,
      target: entry.targetType ? `${entry.targetType}:${entry.targetId}` : undefined,
      ip: context?.ip,
      requestId: context?.requestId,
    });
    return event;
  }
}
