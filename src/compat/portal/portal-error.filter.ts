import { type ArgumentsHost, Catch } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { ErrorFilter } from '../../common/errors/error.filter.js';
import { mapDatabaseError } from '../../common/errors/unique-violation.js';

/**
 * The Portal answers a username already in use with 400 (seed 001), not 409: the standard body,
 * as a validation failure of `username`. Everything else exactly as the global filter does.
 */
@Catch()
export class PortalErrorFilter extends ErrorFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    const code = error instanceof AppError ? error.code : mapDatabaseError(error)?.code;
    if (code !== ErrorCode.EMAIL_ALREADY_EXISTS) return super.catch(error, host);
    const problem = 'is already in use';
    super.catch(new AppError(ErrorCode.VALIDATION_FAILED, `username: ${problem}`, [{ field: 'username', problem }]), host);
  }
}
