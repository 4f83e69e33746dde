import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COUNT_DESCRIPTION } from '../../common/query/count.js';
import { IsBoolean, IsIn, IsString, MaxLength } from 'class-validator';
import { BoundedString, PasswordField } from '../../common/validation/fields.js';
import { OptionalNotNull } from '../../common/validation/optional.js';
import { UserDto } from './user.dto.js';

export class UpdateMeDto {
  @ApiPropertyOptional({ maxLength: 100, example: 'Ada' })
  @OptionalNotNull()
  @BoundedString(100, { required: false })
  firstName?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Lovelace' })
  @OptionalNotNull()
  @BoundedString(100, { required: false })
  lastName?: string;
}

export class AdminUpdateUserDto extends UpdateMeDto {
  @ApiPropertyOptional({ description: 'Platform administrator', example: false })
  @OptionalNotNull()
  @IsBoolean()
  isAdmin?: boolean;

  @ApiPropertyOptional({ enum: ['active', 'disabled'], description: 'Disabling ends every session at once', example: 'disabled' })
  @OptionalNotNull()
  @IsIn(['active', 'disabled'])
  status?: 'active' | 'disabled';
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password', maxLength: 128 })
  @IsString()
  @MaxLength(128)
  currentPassword: string;

  @PasswordField()
  newPassword: string;
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] })
  value: UserDto[];

  @ApiProperty({ description: COUNT_DESCRIPTION, example: 1 })
  count: number;
}
