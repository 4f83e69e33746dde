import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { AuditEvent } from './audit-event.entity.js';

export interface AuditEntry {
  action: string;
  accountId?: number | null;
  targetType?: string;
  targetId?: string | number;
  data?: Record<string, unknown>;
}

/** Writes audit events, always inside the transaction of the change they describe. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Security');

  async record(
    em: EntityManager,
    actor: Pick<Principal, 'userId' | 'tokenId'> | null,
    context: RequestContext | null,
    entry: AuditEntry,
  ): Promise<void> {
    await em.getRepository(AuditEvent).insert({
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
  }
}
