import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COUNT_DESCRIPTION } from '../../common/query/count.js';
import { Type } from 'class-transformer';
import { IsIn, IsObject, ValidateNested } from 'class-validator';
import { BoundedString, EmailField, PasswordField } from '../../common/validation/fields.js';
import { OptionalNotNull, OptionalNullable } from '../../common/validation/optional.js';
import {
  IsBoundedJsonObject,
  IsCountryCode,
  IsCurrencyCode,
  IsLanguageTag,
  IsTimeZone,
} from '../../common/validation/standards.js';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES, type AccountStatus, type AccountType } from '../account.entity.js';

export const NAME_MAX = 255;
export const METADATA_MAX_BYTES = 16 * 1024;

export class AccountSettingsDto {
  @ApiProperty({ description: 'ISO 4217 currency code', example: 'USD' })
  currency: string;

  @ApiProperty({ description: 'IANA time zone', example: 'America/New_York' })
  timezone: string;

  @ApiProperty({ description: 'BCP 47 language tag', example: 'en' })
  language: string;
}

/** Settings in a request: each one optional, the others keep their value (or the default). */
export class AccountSettingsInput {
  @ApiPropertyOptional({ description: 'ISO 4217 currency code', example: 'USD' })
  @OptionalNotNull()
  @IsCurrencyCode()
  currency?: string;

  @ApiPropertyOptional({ description: 'IANA time zone', example: 'America/New_York' })
  @OptionalNotNull()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({ description: 'BCP 47 language tag', example: 'en' })
  @OptionalNotNull()
  @IsLanguageTag()
  language?: string;
}

export class AccountDto {
  @ApiProperty({ example: 1 })
  id: number;

  @ApiProperty({ description: 'Short unique key', example: '8xag1afp' })
  slug: string;

  @ApiProperty({ example: 'Acme Corporation' })
  name: string;

  @ApiProperty({ type: String, nullable: true, example: 'Main account' })
  description: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'contact@acme.example' })
  primaryContact: string | null;

  @ApiProperty({ enum: ACCOUNT_TYPES, example: 'business' })
  type: AccountType;

  @ApiProperty({ enum: ACCOUNT_STATUSES, example: 'active' })
  status: AccountStatus;

  @ApiProperty({ type: String, nullable: true, example: null })
  disabledReason: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'ISO 3166-1 alpha-2', example: 'US' })
  country: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'free' })
  plan: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  metadata: Record<string, unknown>;

  @ApiProperty({ type: AccountSettingsDto })
  settings: AccountSettingsDto;

  @ApiProperty({ format: 'date-time', example: '2026-06-02T10:30:00.000Z' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', example: '2026-06-02T10:30:00.000Z' })
  updatedAt: string;
}

export class AccountListDto {
  @ApiProperty({ type: [AccountDto] })
  value: AccountDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}

/** Fields that creating and updating share. */
class AccountFieldsInput {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000, example: 'Main enterprise account' })
  @OptionalNullable()
  @BoundedString(2000)
  description?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'email', example: 'contact@enterprise.com' })
  @OptionalNullable()
  @EmailField()
  primaryContact?: string | null;

  @ApiPropertyOptional({ enum: ACCOUNT_TYPES, example: 'business' })
  @OptionalNotNull()
  @IsIn(ACCOUNT_TYPES)
  type?: AccountType;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'ISO 3166-1 alpha-2', example: 'US' })
  @OptionalNullable()
  @IsCountryCode()
  country?: string | null;

  @ApiPropertyOptional({ type: String, description: 'Platform administrators only', example: 'enterprise' })
  @OptionalNotNull()
  @BoundedString(64, { min: 1 })
  plan?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Free-form JSON object, at most 16 KB' })
  @OptionalNotNull()
  @IsObject()
  @IsBoundedJsonObject(METADATA_MAX_BYTES, 8)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ type: AccountSettingsInput })
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => AccountSettingsInput)
  settings?: AccountSettingsInput;
}

export class CreateAccountDto extends AccountFieldsInput {
  @BoundedString(NAME_MAX, { min: 1, example: 'Enterprise Account' })
  name: string;
}

export class UpdateAccountDto extends AccountFieldsInput {
  @ApiPropertyOptional({ maxLength: NAME_MAX, example: 'Updated Account Name' })
  @OptionalNotNull()
  @BoundedString(NAME_MAX, { min: 1, required: false })
  name?: string;

  @ApiPropertyOptional({ enum: ACCOUNT_STATUSES, description: 'Changing it requires the owner role', example: 'active' })
  @OptionalNotNull()
  @IsIn(ACCOUNT_STATUSES)
  status?: AccountStatus;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 255, example: 'Payment overdue' })
  @OptionalNullable()
  @BoundedString(255)
  disabledReason?: string | null;
}

export class SignupDto {
  @EmailField()
  email: string;

  @PasswordField({ example: 'secure_password_123' })
  password: string;

  @BoundedString(100, { example: 'John' })
  firstName: string;

  @BoundedString(100, { example: 'Doe' })
  lastName: string;

  @BoundedString(NAME_MAX, { min: 1, example: 'Acme Corporation' })
  accountName: string;

  @ApiPropertyOptional({ description: 'ISO 3166-1 alpha-2', example: 'US' })
  @OptionalNotNull()
  @IsCountryCode()
  country?: string;
}

export class SignupResponseDto {
  @ApiProperty({ description: 'The new user', example: 1 })
  id: number;

  @ApiProperty({ example: 'user@example.com' })
  email: string;

  @ApiProperty({ example: 10 })
  accountId: number;

  @ApiProperty({ example: 'Acme Corporation' })
  accountName: string;

  @ApiProperty({ format: 'date-time', example: '2026-06-02T10:30:00.000Z' })
  createdAt: string;
}
