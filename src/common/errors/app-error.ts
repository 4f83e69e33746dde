import { ErrorCode, STATUS_OF } from './error-code.js';

export interface ErrorDetail {
  /** The offending field, as a dotted path (`settings.currency`), or `body`. */
  field: string;
  problem: string;
}

/** A failure the API reports to its caller: a code from `ErrorCode` and a human message. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    /** Sent as `Retry-After` (429). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return STATUS_OF[this.code];
  }
}

/** The body of every error response. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
}
