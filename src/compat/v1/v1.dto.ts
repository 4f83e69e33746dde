import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, ValidateNested } from 'class-validator';
import { ACCOUNT_TYPES, type AccountType } from '../../accounts/account.entity.js';
import { AccountSettingsDto, AccountSettingsInput, NAME_MAX } from '../../accounts/dto/account.dto.js';
import { BoundedString, EmailField, PasswordField } from '../../common/validation/fields.js';
import { OptionalNotNull } from '../../common/validation/optional.js';

export class V1CreateAccountDto {
  @EmailField({ description: 'The primary email for the account (the owner’s login). Must be unique.', example: 'owner@example.com' })
  email: string;

  @BoundedString(NAME_MAX, { min: 1, description: 'The account name (business or individual)', example: 'Acme Inc.' })
  name: string;

  @ApiProperty({ enum: ACCOUNT_TYPES, example: 'business' })
  @IsIn(ACCOUNT_TYPES)
  type: AccountType;

  @PasswordField({ example: 'secure_password_here' })
  password: string;

  @ApiPropertyOptional({ type: AccountSettingsInput, description: 'Missing settings default to USD, UTC, en' })
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => AccountSettingsInput)
  settings?: AccountSettingsInput;
}

export class V1AccountDto {
  @ApiProperty({ description: '`acct_<n>`: account `n` of `/api/accounts/{n}`', example: 'acct_42' })
  id: string;

  @ApiProperty({ example: 'owner@example.com' })
  email: string;

  @ApiProperty({ example: 'Acme Inc.' })
  name: string;

  @ApiProperty({ enum: ACCOUNT_TYPES, example: 'business' })
  type: AccountType;

  @ApiProperty({ example: 'active' })
  status: string;

  @ApiProperty({ example: '2025-09-18T20:05:00Z' })
  created_at: string;

  @ApiProperty({ example: '2025-09-18T20:05:00Z' })
  updated_at: string;

  @ApiProperty({ type: AccountSettingsDto })
  settings: AccountSettingsDto;
}

export class V1ErrorDto {
  @ApiProperty({ enum: ['invalid_request', 'email_exists', 'unauthorized'], example: 'email_exists' })
  error: string;

  @ApiProperty({ example: 'An account with this email already exists.' })
  message: string;
}
