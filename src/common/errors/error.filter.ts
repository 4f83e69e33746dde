import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, type ErrorBody } from './app-error.js';
import { ErrorCode, STATUS_OF } from './error-code.js';
import { mapDatabaseError } from './unique-violation.js';

/** Errors raised by Fastify itself (routing, body parsing, limits), before any handler runs. */
const FASTIFY_ERRORS: Record<string, [ErrorCode, string]> = {
  FST_ERR_BAD_URL: [ErrorCode.VALIDATION_FAILED, 'The URL is malformed'],
  FST_ERR_MAX_PARAM_LENGTH: [ErrorCode.URI_TOO_LONG, 'A path segment is longer than 200 characters'],
  FST_ERR_CTP_BODY_TOO_LARGE: [ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than 100 KB'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'The request body must be application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [ErrorCode.VALIDATION_FAILED, 'The Content-Length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [ErrorCode.VALIDATION_FAILED, 'The request body is empty but declared as JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [ErrorCode.VALIDATION_FAILED, 'The request body is not valid JSON'],
};

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.UNAUTHENTICATED,
  403: ErrorCode.UNAUTHORIZED,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.TOO_MANY_REQUESTS,
};

const logger = new Logger('Errors');

/** Turns any error into the API's error body. Unknown errors become 500 `INTERNAL`, logged here only. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof AppError) {
    return { statusCode: error.status, code: error.code, message: error.message, ...(error.details && { details: error.details }) };
  }
  const database = mapDatabaseError(error);
  if (database?.code === ErrorCode.SERVICE_UNAVAILABLE) logger.warn(`Database unavailable: ${(error as Error).message}`);
  if (database) return { statusCode: STATUS_OF[database.code], code: database.code, message: database.message };

  // Nest wraps Fastify's own errors (body parsing, limits) in an HttpException with the original as cause.
  const cause = error instanceof HttpException ? error.cause : error;
  const fastifyCode = (cause as { code?: unknown } | undefined)?.code;
  if (typeof fastifyCode === 'string' && FASTIFY_ERRORS[fastifyCode]) {
    const [code, message] = FASTIFY_ERRORS[fastifyCode];
    return { statusCode: STATUS_OF[code], code, message };
  }
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_ERR_CTP_')) {
    return { statusCode: 400, code: ErrorCode.VALIDATION_FAILED, message: 'The request body could not be read' };
  }

  const status = error instanceof HttpException ? error.getStatus() : (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = HTTP_STATUS_CODES[status] ?? ErrorCode.VALIDATION_FAILED;
    const message = status === 404 ? 'No such route' : (error as Error).message || 'Bad request';
    return { statusCode: STATUS_OF[code], code, message };
  }

  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { statusCode: 500, code: ErrorCode.INTERNAL, message: 'Internal server error' };
}

/** Seconds for `Retry-After`: a rate limit's own wait, or 1 while the database is unavailable. */
export function retryAfterOf(error: unknown, body: ErrorBody): number | undefined {
  if (error instanceof AppError && error.retryAfterSeconds !== undefined) return error.retryAfterSeconds;
  return body.statusCode === 503 ? 1 : undefined;
}

/** The global exception filter: every error leaves the service in one shape. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = toErrorBody(error);
    if (reply.sent) return;
    const retryAfter = retryAfterOf(error, body);
    if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
    void reply.status(body.statusCode).header('cache-control', 'no-store').send(body);
  }
}

/**
 * Fastify's `frameworkErrors`: errors its router raises before a route (and Nest's filter) is
 * reached, such as a malformed percent-encoding or an over-long path segment.
 */
export function onFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body = toErrorBody(error);
  void reply.status(body.statusCode).header('x-request-id', request.id).header('cache-control', 'no-store').send(body);
}

const CLIENT_ERRORS: Record<string, ErrorBody> = {
  HPE_HEADER_OVERFLOW: { statusCode: 431, code: ErrorCode.HEADERS_TOO_LARGE, message: 'The request line and headers exceed 16 KB' },
};
const UNREADABLE: ErrorBody = { statusCode: 400, code: ErrorCode.VALIDATION_FAILED, message: 'The request could not be parsed' };

/**
 * Fastify's `clientErrorHandler`: Node refused the request before it became one (headers too
 * large, unparsable request line). The answer is written on the socket in the API's error shape.
 */
export function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable && error.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
    const answer = CLIENT_ERRORS[error.code ?? ''] ?? UNREADABLE;
    const body = JSON.stringify(answer);
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
