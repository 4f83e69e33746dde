import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { BoundedString, EmailField, PasswordField } from '../../common/validation/fields.js';
import { UserDto } from '../../users/dto/user.dto.js';

export class RegisterDto {
  @EmailField()
  email: string;

  @PasswordField()
  password: string;

  @BoundedString(100, { example: 'John' })
  firstName: string;

  @BoundedString(100, { example: 'Doe' })
  lastName: string;
}

export class LoginDto {
  @EmailField()
  email: string;

  /** Not held to the length rules: a login only compares. */
  @ApiProperty({ format: 'password', maxLength: 128, example: 'correct-horse-battery-staple' })
  @IsString()
  @MaxLength(128)
  password: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last login or refresh', maxLength: 4096 })
  @IsString()
  @MaxLength(4096)
  refreshToken: string;
}

export class LoginResponseDto {
  @ApiProperty({ description: 'Access JWT, valid for `expiresIn` seconds' })
  accessToken: string;

  @ApiProperty({ description: 'Single-use: each refresh returns a new one' })
  refreshToken: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn: number;

  @ApiProperty({ type: UserDto })
  user: UserDto;
}

export class ForgotPasswordDto {
  @EmailField()
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the reset mail', maxLength: 256 })
  @IsString()
  @MaxLength(256)
  token: string;

  @PasswordField()
  password: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the verification mail', maxLength: 256 })
  @IsString()
  @MaxLength(256)
  token: string;
}
