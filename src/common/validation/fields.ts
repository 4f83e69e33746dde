import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';

/** No NUL and no other C0 control character except tab: PostgreSQL refuses NUL, logs fear CR/LF. */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;

export const EMAIL_MAX = 254;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** A bounded single-line string. */
export function BoundedString(max: number, options: ApiPropertyOptions & { min?: number } = {}) {
  const { min = 0, ...api } = options;
  return applyDecorators(
    IsString(),
    Length(min, max),
    Matches(NO_CONTROL_CHARACTERS, { message: '$property must not contain control characters' }),
    ApiProperty({ type: String, minLength: min || undefined, maxLength: max, ...api } as ApiPropertyOptions),
  );
}

/** An email address of at most 254 characters. Kept as typed; compared case-insensitively. */
export function EmailField(options: ApiPropertyOptions = {}) {
  return applyDecorators(
    IsString(),
    MaxLength(EMAIL_MAX),
    Matches(/^\P{Cs}*$/u, { message: '$property must be well-formed Unicode' }), // a lone surrogate makes IsEmail throw
    IsEmail({ allow_utf8_local_part: false }, { message: '$property must be an email address' }),
    ApiProperty({ type: String, format: 'email', maxLength: EMAIL_MAX, example: 'user@example.com', ...options } as ApiPropertyOptions),
  );
}

/** A password: 8 to 128 characters, taken exactly as sent (never trimmed nor case-folded). */
export function PasswordField(options: ApiPropertyOptions = {}) {
  return applyDecorators(
    IsString(),
    Length(PASSWORD_MIN, PASSWORD_MAX, { message: `$property must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters` }),
    Matches(/^[^\u0000]*$/, { message: '$property must not contain NUL characters' }),
    ApiProperty({
      type: String,
      format: 'password',
      minLength: PASSWORD_MIN,
      maxLength: PASSWORD_MAX,
      example: 'correct-horse-battery-staple',
      ...options,
    } as ApiPropertyOptions),
  );
}
