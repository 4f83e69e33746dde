import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COUNT_DESCRIPTION } from '../../common/query/count.js';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, Max, Min } from 'class-validator';
import { BoundedString, EmailField, PasswordField } from '../../common/validation/fields.js';
import { MAX_ID } from '../../common/validation/ids.js';
import { OptionalNotNull } from '../../common/validation/optional.js';
import { ACCOUNT_ROLES, type AccountRole } from '../account-role.js';
import { INVITATION_STATUSES, type InvitationStatus } from '../invitation.entity.js';
import { MEMBERSHIP_STATUSES, type MembershipStatus } from '../membership.entity.js';

/** A non-empty set of at most 5 known roles. */
function RolesField(required = true) {
  const Api = required ? ApiProperty : ApiPropertyOptional;
  return function (target: object, key: string) {
    Api({ enum: ACCOUNT_ROLES, isArray: true, minItems: 1, maxItems: 5, example: ['user', 'viewer'] })(target, key);
    IsArray()(target, key);
    ArrayMinSize(1)(target, key);
    ArrayMaxSize(5)(target, key);
    ArrayUnique()(target, key);
    IsIn(ACCOUNT_ROLES, { each: true, message: `each value in $property must be one of ${ACCOUNT_ROLES.join(', ')}` })(target, key);
  };
}

export class AddUserDto {
  @EmailField({ example: 'newuser@example.com' })
  email: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Jane' })
  @OptionalNotNull()
  @BoundedString(100, { required: false })
  firstName?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Smith' })
  @OptionalNotNull()
  @BoundedString(100, { required: false })
  lastName?: string;

  @RolesField()
  roles: AccountRole[];
}

export class AddExistingUserDto {
  @RolesField()
  roles: AccountRole[];
}

export class UpdateMemberDto {
  @OptionalNotNull()
  @RolesField(false)
  roles?: AccountRole[];

  @ApiPropertyOptional({ enum: ['active', 'disabled'], example: 'active' })
  @OptionalNotNull()
  @IsIn(['active', 'disabled'])
  status?: 'active' | 'disabled';
}

export class TransferOwnershipDto {
  @ApiProperty({ description: 'The member who becomes owner', example: 7 })
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  userId: number;
}

export class AcceptInvitationDto {
  @ApiProperty({ description: 'The token from the invitation mail', maxLength: 256 })
  @BoundedString(256, { min: 1 })
  token: string;

  @PasswordField()
  password: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Jane' })
  @OptionalNotNull()
  @BoundedString(100, { required: false })
  firstName?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Smith' })
  @OptionalNotNull()
  @BoundedString(100, { required: false })
  lastName?: string;
}

export class AddedUserDto {
  @ApiProperty({ description: 'The user', example: 100 })
  id: number;

  @ApiProperty({ example: 'newuser@example.com' })
  email: string;

  @ApiProperty({ example: 1 })
  accountId: number;

  @ApiProperty({ enum: ACCOUNT_ROLES, isArray: true, example: ['user', 'viewer'] })
  roles: AccountRole[];

  @ApiProperty({ format: 'date-time', example: '2026-06-02T10:30:00.000Z' })
  createdAt: string;
}

export class MemberDto {
  @ApiProperty({ description: 'The user', example: 100 })
  id: number;

  @ApiProperty({ example: 'newuser@example.com' })
  email: string;

  @ApiProperty({ example: 'Jane' })
  firstName: string;

  @ApiProperty({ example: 'Smith' })
  lastName: string;

  @ApiProperty({ enum: ACCOUNT_ROLES, isArray: true, example: ['user'] })
  roles: AccountRole[];

  @ApiProperty({ enum: MEMBERSHIP_STATUSES, description: 'Of the membership', example: 'active' })
  status: MembershipStatus;

  @ApiProperty({ format: 'date-time', description: 'When the user joined (or was invited)' })
  createdAt: string;
}

export class MemberListDto {
  @ApiProperty({ type: [MemberDto] })
  value: MemberDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}

export class InvitationDto {
  @ApiProperty({ example: 3 })
  id: number;

  @ApiProperty({ example: 'newuser@example.com' })
  email: string;

  @ApiProperty({ enum: ACCOUNT_ROLES, isArray: true, example: ['user'] })
  roles: AccountRole[];

  @ApiProperty({ enum: INVITATION_STATUSES, example: 'pending' })
  status: InvitationStatus;

  @ApiProperty({ description: 'The invited user', example: 100 })
  userId: number;

  @ApiProperty({ type: Number, nullable: true, example: 1 })
  invitedById: number | null;

  @ApiProperty({ example: 1 })
  sendCount: number;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  acceptedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class InvitationListDto {
  @ApiProperty({ type: [InvitationDto] })
  value: InvitationDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}
