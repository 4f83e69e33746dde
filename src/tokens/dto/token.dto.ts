import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COUNT_DESCRIPTION } from '../../common/query/count.js';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDateString, IsInt, IsObject, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { BoundedString } from '../../common/validation/fields.js';
import { MAX_ID } from '../../common/validation/ids.js';
import { OptionalNotNull, OptionalNullable } from '../../common/validation/optional.js';
import { IsCidr } from '../cidr.js';

export class TokenRestrictionsDto {
  @ApiPropertyOptional({ type: [String], description: 'CIDR blocks the token may be used from', example: ['10.0.0.0/8'] })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(43, { each: true })
  @IsCidr({ each: true })
  ipAllowlist?: string[];

  @ApiPropertyOptional({ description: 'Only GET, HEAD and OPTIONS requests', example: true })
  @OptionalNotNull()
  @IsBoolean()
  readOnly?: boolean;
}

export class CreateTokenDto {
  @BoundedString(100, { min: 1, example: 'CI deploys' })
  name: string;

  @ApiPropertyOptional({ description: 'Limit the token to this account', example: 10 })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  accountId?: number;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'Never expires when absent' })
  @OptionalNullable()
  @IsDateString({ strict: true })
  expiresAt?: string | null;

  @ApiPropertyOptional({ type: TokenRestrictionsDto, nullable: true })
  @OptionalNullable()
  @IsObject()
  @ValidateNested()
  @Type(() => TokenRestrictionsDto)
  restrictions?: TokenRestrictionsDto | null;
}

export class TokenDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'CI deploys' })
  name: string;

  @ApiProperty({ example: 7 })
  userId: number;

  @ApiProperty({ type: Number, nullable: true, example: 10 })
  accountId: number | null;

  @ApiProperty({ description: 'The last characters of the secret, to tell tokens apart', example: 'x1Yz' })
  hint: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated at most once a minute' })
  lastUsedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt: string | null;

  @ApiProperty({ type: TokenRestrictionsDto, nullable: true })
  restrictions: TokenRestrictionsDto | null;
}

export class CreatedTokenDto extends TokenDto {
  @ApiProperty({ description: 'The secret, shown this once: send it as `Authorization: Bearer <token>`', example: 'acs_pat_…' })
  token: string;
}

export class TokenListDto {
  @ApiProperty({ type: [TokenDto] })
  value: TokenDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}

export class IntrospectDto {
  @ApiProperty({ description: 'An access JWT or an API token', maxLength: 4096 })
  @IsString()
  @MaxLength(4096)
  token: string;
}

/** RFC 7662: `{active: false}` alone for anything dead or unknown. */
export class IntrospectionDto {
  @ApiProperty()
  active: boolean;

  @ApiPropertyOptional({ enum: ['access_token', 'api_token'] })
  token_type?: 'access_token' | 'api_token';

  @ApiPropertyOptional({ description: 'The user id', example: '7' })
  sub?: string;

  @ApiPropertyOptional({ example: 'user@example.com' })
  username?: string;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'The account an API token is limited to' })
  account_id?: number | null;

  @ApiPropertyOptional({ description: 'Expiry, seconds since the epoch' })
  exp?: number;

  @ApiPropertyOptional({ description: 'Issued at, seconds since the epoch' })
  iat?: number;

  @ApiPropertyOptional({ description: 'The API token id or the session id' })
  jti?: string;

  @ApiPropertyOptional({ description: 'Platform administrator' })
  is_admin?: boolean;
}
