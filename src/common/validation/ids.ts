import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/error-code.js';

/** The largest id a PostgreSQL `integer` holds. */
export const MAX_ID = 2_147_483_647;

/** A path id: an integer from 1 to 2147483647, else 400 `VALIDATION_FAILED` naming the parameter. */
export function parseId(raw: string | undefined, name: string): number {
  const id = raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
  if (id < 1 || id > MAX_ID) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${name} must be an integer from 1 to ${MAX_ID}`, [
      { field: name, problem: `must be an integer from 1 to ${MAX_ID}` },
    ]);
  }
  return id;
}

/** `@Param('userId', IdPipe)`: the parameter as a checked integer id. */
@Injectable()
export class IdPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: ArgumentMetadata): number {
    return parseId(value, metadata.data ?? 'id');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `@Param('tokenId', UuidPipe)`: a UUID, else 400 `VALIDATION_FAILED` naming the parameter. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    const name = metadata.data ?? 'id';
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `${name} must be a UUID`, [{ field: name, problem: 'must be a UUID' }]);
    }
    return value.toLowerCase();
  }
}
