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

/** A body must be a JSON object: an array, a string or a number is refused before validation. */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && this.toValidate(metadata)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new AppError(ErrorCode.VALIDATION_FAILED, 'The request body must be a JSON object', [
          { field: 'body', problem: 'must be a JSON object' },
        ]);
      }
    }
    return super.transform(value, metadata);
  }
}
