import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

/**
 * Strings shaped like the secrets this service mints (`acs_…` tokens, webhook secrets, access
 * JWTs). A client may send one where it does not belong (a query string, a path segment, a request
 * id), and the request line logs the URL: wherever one appears in a line (percent-encoding around
 * it included), it is written redacted.
 */
const SECRET_SHAPES = /(?:acs_[a-z]{2,3}_|whsec_)[A-Za-z0-9_-]+|eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/**
 * One structured JSON logger (pino) for the whole service: Fastify's request logs and Nest's
 * messages alike. Credentials are redacted wherever they could appear, and values are JSON-encoded,
 * so CR/LF in an input cannot forge a log line.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    hooks: { streamWrite: (line) => line.replace(SECRET_SHAPES, '[redacted]') },
    base: { service: 'accounts-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["idempotency-key"]',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        '*.token',
        '*.refreshToken',
        '*.accessToken',
      ],
      censor: '[redacted]',
    },
  });
}

type Level = 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal';

/** Nest's logger interface over pino. An object message becomes fields of the line. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.write('error', message, context, trace);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: Level, message: unknown, context?: string, trace?: string): void {
    const fields = { context, ...(trace && { trace }) };
    if (message && typeof message === 'object' && !(message instanceof Error)) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, message instanceof Error ? message.message : String(message));
  }
}
