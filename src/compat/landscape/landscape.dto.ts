import { ApiProperty } from '@nestjs/swagger';
import { NAME_MAX } from '../../accounts/dto/account.dto.js';
import { BoundedString, EmailField, PasswordField } from '../../common/validation/fields.js';

export class CreateLandscapeAccountDto {
  @BoundedString(NAME_MAX, { min: 1, description: 'The title of the organization', example: 'Onward, Inc.' })
  title: string;
}

export class CreateStandaloneAccountDto {
  @EmailField({ description: 'The email of the first administrator', example: 'john@example.com' })
  email: string;

  @BoundedString(100, { min: 1, description: 'The name of the first administrator', example: 'John Doe' })
  name: string;

  @PasswordField({ description: 'Scored for strength when ENFORCE_PASSWORD_STRENGTH=true' })
  password: string;
}

export class LandscapeAdministratorDto {
  @ApiProperty({ example: 'John Doe' })
  name: string;

  @ApiProperty({ example: 'john@example.com' })
  email: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  openid: string | null;
}

/** The account as Landscape's API v2 answers it; the fields Landscape has and this service does not are constants. */
export class LandscapeAccountDto {
  @ApiProperty({ description: 'The account key (slug)', example: '8xag1afp' })
  account: string;

  @ApiProperty({ example: '2025-09-15T22:52:11Z' })
  creation_time: string;

  @ApiProperty({ type: [LandscapeAdministratorDto], description: 'Active owners and admins' })
  administrators: LandscapeAdministratorDto[];

  @ApiProperty({ example: false })
  disabled: boolean;

  @ApiProperty({ type: String, nullable: true, example: null })
  disabled_reason: string | null;

  @ApiProperty({ example: 0 })
  computers: 0;

  @ApiProperty({ description: 'The account name', example: 'Onward, Inc.' })
  company: string;

  @ApiProperty({ type: String, nullable: true, example: '2025-09-15T22:52:11Z' })
  last_login_time: string | null;

  @ApiProperty({ type: [String], example: [] })
  licenses: [];

  @ApiProperty({ type: String, nullable: true, example: null })
  salesforce_account_key: null;

  @ApiProperty({ type: [String], example: [] })
  enabled_features: [];

  @ApiProperty({ type: String, nullable: true, example: null })
  subdomain: null;
}
