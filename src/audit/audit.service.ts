import { Injectable } from '@nestjs/common';
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
  }
}
