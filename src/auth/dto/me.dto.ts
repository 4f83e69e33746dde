import { ApiProperty } from '@nestjs/swagger';
import { COUNT_DESCRIPTION } from '../../common/query/count.js';
import { ACCOUNT_ROLES, type AccountRole } from '../../memberships/account-role.js';
import { MEMBERSHIP_STATUSES, type MembershipStatus } from '../../memberships/membership.entity.js';
import { UserDto } from '../../users/dto/user.dto.js';

export class MyMembershipDto {
  @ApiProperty({ example: 10 })
  accountId: number;

  @ApiProperty({ example: 'Acme Corporation' })
  accountName: string;

  @ApiProperty({ enum: ACCOUNT_ROLES, isArray: true, example: ['owner'] })
  roles: AccountRole[];

  @ApiProperty({ enum: MEMBERSHIP_STATUSES, example: 'active' })
  status: MembershipStatus;
}

export class MeDto extends UserDto {
  @ApiProperty({ type: [MyMembershipDto] })
  memberships: MyMembershipDto[];
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time', description: 'When the login happened' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', description: 'The last refresh' })
  lastUsedAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ type: String, nullable: true })
  userAgent: string | null;

  @ApiProperty({ type: String, nullable: true })
  ip: string | null;

  @ApiProperty({ description: 'The session of the access token making this request' })
  current: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] })
  value: SessionDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}
