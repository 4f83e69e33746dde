import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ErrorCode, STATUS_OF } from '../errors/error-code.js';

export class ErrorDetailDto {
  @ApiProperty({ example: 'email' })
  field: string;

  @ApiProperty({ example: 'email must be an email address' })
  problem: string;
}

export class ErrorBodyDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.VALIDATION_FAILED })
  code: ErrorCode;

  @ApiProperty({ example: 'email: email must be an email address' })
  message: string;

  @ApiPropertyOptional({ type: [ErrorDetailDto], description: 'One entry per broken rule (validation errors only)' })
  details?: ErrorDetailDto[];
}

/** Documents the error responses of a route: one response per status, listing its codes. */
export function ApiErrors(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ErrorCode.VALIDATION_FAILED]) {
    const status = STATUS_OF[code];
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({ status, description: list.join(', '), type: ErrorBodyDto }),
    ),
  );
}
