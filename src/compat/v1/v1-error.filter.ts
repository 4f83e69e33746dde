import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ErrorCode } from '../../common/errors/error-code.js';
import { retryAfterOf, toErrorBody } from '../../common/errors/error.filter.js';

/** The seed's error names; every other client error is `invalid_request`, with its own status. */
const V1_ERRORS: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.EMAIL_ALREADY_EXISTS]: 'email_exists',
  [ErrorCode.UNAUTHENTICATED]: 'unauthorized',
  [ErrorCode.UNAUTHORIZED]: 'unauthorized',
  [ErrorCode.SELF_SERVICE_DISABLED]: 'unauthorized',
  // Not in the seed, which lists no 429.
  [ErrorCode.TOO_MANY_REQUESTS]: 'rate_limited',
};

/**
 * Errors on `/v1` in the seed's shape `{error, message}` (seed 002): the status and message of the
 * service's own error body, the code renamed. A taken account name stays 409, as `invalid_request`.
 * (A body that is not JSON is refused by Fastify before routing, in the standard shape.)
 */
@Catch()
export class V1ErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = toErrorBody(error);
    const { statusCode, code, message } = body;
    if (reply.sent) return;
    const retryAfter = retryAfterOf(error, body);
    if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
    const name = V1_ERRORS[code] ?? (statusCode >= 500 ? 'server_error' : 'invalid_request');
    void reply.status(statusCode).header('cache-control', 'no-store').send({ error: name, message });
  }
}
