import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ErrorBody } from '../../common/errors/app-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { toErrorBody } from '../../common/errors/error.filter.js';

/**
 * The Portal answers a username already in use with 400 (seed 001), not 409: the standard body,
 * as a validation failure of `username`. Everything else as the global filter does.
 */
@Catch()
export class PortalErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let body: ErrorBody = toErrorBody(error);
    if (body.code === ErrorCode.EMAIL_ALREADY_EXISTS) {
      const problem = 'is already in use';
      body = { statusCode: 400, code: ErrorCode.VALIDATION_FAILED, message: `username: ${problem}`, details: [{ field: 'username', problem }] };
    }
    if (!reply.sent) void reply.status(body.statusCode).header('cache-control', 'no-store').send(body);
  }
}
