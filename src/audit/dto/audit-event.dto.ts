import { ApiProperty } from '@nestjs/swagger';
import { COUNT_DESCRIPTION } from '../../common/query/count.js';

export class AuditEventDto {
  @ApiProperty({ example: 42 })
  id: number;

  @ApiProperty({ example: 'membership.updated' })
  action: string;

  @ApiProperty({ type: Number, nullable: true, example: 1 })
  actorUserId: number | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'The API token the actor used' })
  actorTokenId: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 10 })
  accountId: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'user' })
  targetType: string | null;

  @ApiProperty({ type: String, nullable: true, example: '7' })
  targetId: string | null;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  data: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestId: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class AuditEventListDto {
  @ApiProperty({ type: [AuditEventDto] })
  value: AuditEventDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}
