import { ApiProperty } from '@nestjs/swagger';
import { NAME_MAX } from '../../accounts/dto/account.dto.js';
import { BoundedString, EmailField, PasswordField } from '../../common/validation/fields.js';
import { TokenRestrictionsDto } from '../../tokens/dto/token.dto.js';

export class PortalCreateAccountDto {
  @BoundedString(NAME_MAX, { min: 1, description: 'The human-readable name of the new account', example: 'Zydro Marine' })
  name: string;

  @EmailField({ description: "The primary user's login, also their email address", example: 'owner@zydromarine.com' })
  username: string;

  @PasswordField({ description: 'At least 8 characters (the Portal allowed 4; raised on purpose)', example: 'a-strong-password' })
  password: string;
}

export class PortalAccountDto {
  @ApiProperty({ example: 42 })
  id: number;

  @ApiProperty({ example: 'Zydro Marine' })
  name: string;

  @ApiProperty({ type: String, nullable: true, description: 'The plan, inherited from the calling administrator’s account', example: 'oem' })
  planInstance: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  metadata: Record<string, unknown>;

  @ApiProperty({ description: 'Epoch milliseconds', example: 1736942400000 })
  createdAt: number;
}

export class PortalUserDto {
  @ApiProperty({ example: 7 })
  id: number;

  @ApiProperty({ example: 42 })
  accountId: number;

  @ApiProperty({ example: 'owner@zydromarine.com' })
  email: string;

  @ApiProperty({ example: false })
  isAdmin: boolean;

  @ApiProperty({ description: 'Epoch milliseconds', example: 1736942400000 })
  createdAt: number;
}

export class PortalTokenDto {
  @ApiProperty({ description: 'The bearer string, shown this once', example: 'acs_pat_…' })
  id: string;

  @ApiProperty({ example: 'Default' })
  name: string;

  @ApiProperty({ example: 7 })
  userId: number;

  @ApiProperty({ example: 42 })
  accountId: number;

  @ApiProperty({ example: 'owner@zydromarine.com' })
  userEmail: string;

  @ApiProperty({ description: 'Epoch milliseconds', example: 1736942400000 })
  createdAt: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Epoch milliseconds', example: null })
  lastUsedAt: number | null;

  @ApiProperty({ type: TokenRestrictionsDto, nullable: true, example: null })
  restrictions: TokenRestrictionsDto | null;
}

export class PortalCreateAccountResponseDto {
  @ApiProperty({ type: PortalAccountDto })
  account: PortalAccountDto;

  @ApiProperty({ type: PortalUserDto })
  user: PortalUserDto;

  @ApiProperty({ type: PortalTokenDto })
  initialToken: PortalTokenDto;
}
