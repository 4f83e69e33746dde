import { InjectDataSource } from '@nestjs/typeorm';
import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { compileListQuery, type FieldMap, type ListQueryInput } from '../common/query/odata-to-sql.js';
import { pageWithCount } from '../common/query/count.js';
import { readReplica } from '../database/replica.js';
import type { AuditEventDto, AuditEventListDto } from './dto/audit-event.dto.js';

const AUDIT_FIELDS: FieldMap = {
  action: { column: 'e.action', type: 'string' },
  actorUserId: { column: 'e.actor_user_id', type: 'integer' },
  accountId: { column: 'e.account_id', type: 'integer' },
  targetType: { column: 'e.target_type', type: 'string' },
  targetId: { column: 'e.target_id', type: 'string' },
  createdAt: { column: 'e.created_at', type: 'datetime' },
};

/** Reads audit events: one account's, or (platform administrators) everyone's. Newest first, from a replica when there is one. */
@Injectable()
export class AuditQuery {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(query: ListQueryInput, accountId?: number): Promise<AuditEventListDto> {
    const params: unknown[] = [];
    const scope: string[] = [];
    if (accountId !== undefined) {
      params.push(accountId);
      scope.push(`e.account_id = $${params.length}`);
    }
    const compiled = compileListQuery(query, AUDIT_FIELDS, params, { defaultOrder: 'e.id DESC', tiebreak: 'e.id' });
    const where = [...scope, `(${compiled.where})`].join(' AND ');
    const { rows, count } = await pageWithCount<Record<string, any>>(
      (sql, p) => readReplica(this.dataSource, sql, p),
      'e.id, e.action, e.actor_user_id, e.actor_token_id, e.account_id, e.target_type, e.target_id, e.data, e.ip, e.request_id, e.created_at',
      'audit_events e',
      where,
      compiled,
      params,
    );
    return { value: rows.map(toAuditEventDto), count };
  }
}

function toAuditEventDto(row: Record<string, any>): AuditEventDto {
  return {
    id: Number(row.id),
    action: row.action,
    actorUserId: row.actor_user_id,
    actorTokenId: row.actor_token_id,
    accountId: row.account_id,
    targetType: row.target_type,
    targetId: row.target_id,
    data: row.data,
    ip: row.ip,
    requestId: row.request_id,
    createdAt: row.created_at.toISOString(),
  };
}
