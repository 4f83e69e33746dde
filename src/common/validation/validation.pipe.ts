import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError, type ErrorDetail } from '../errors/app-error.js';
import { ErrorCode } from '../errors/error-code.js';

/**
 * The global pipe: bodies and queries are whitelisted (an unknown property is an error, not
 * silently dropped), transformed into their DTO classes and validated; a failure answers
 * 400 `VALIDATION_FAILED` with one `{field, problem}` per broken rule.
 */
export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const summary = details.map((d) => `${d.field}: ${d.problem}`).join('; ');
      return new AppError(ErrorCode.VALIDATION_FAILED, summary || 'The request is invalid', details);
    },
  });
}

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((problem) => ({
      field: field || 'body',
      problem: problem.replace(/^an unknown value was passed to the validate function$/, 'must be a JSON object'),
    }));
    return own.concat(flatten(error.children ?? [], field));
  });
}

/** Keys that name an object's prototype machinery: refused anywhere in a body, metadata included. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A body must be a JSON object: an array, a string or a number is refused before validation. A
 * key named `__proto__`, `constructor` or `prototype` at any depth is refused too (class-transformer
 * would drop it silently, and free-form fields such as `metadata` would lose it).
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && this.toValidate(metadata)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new AppError(ErrorCode.VALIDATION_FAILED, 'The request body must be a JSON object', [
          { field: 'body', problem: 'must be a JSON object' },
        ]);
      }
      const reserved = findReservedKey(value);
      if (reserved) {
        throw new AppError(ErrorCode.VALIDATION_FAILED, `${reserved}: is a reserved name`, [{ field: reserved, problem: 'is a reserved name' }]);
      }
    }
    return super.transform(value, metadata);
  }
}

/** The dotted path of the first reserved key in a parsed JSON value, walked without recursion. */
function findReservedKey(root: object): string | undefined {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if (RESERVED_KEYS.has(key)) return child;
      stack.push([(value as Record<string, unknown>)[key], child]);
    }
  }
  return undefined;
}
