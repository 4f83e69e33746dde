import { QueryFailedError } from 'typeorm';
import { Constraint } from '../../database/naming.js';
import { ErrorCode } from './error-code.js';

/** What each named unique constraint means to the caller when a write breaks it. */
const UNIQUE_VIOLATIONS: Record<string, [ErrorCode, string]> = {
  [Constraint.usersEmail]: [ErrorCode.EMAIL_ALREADY_EXISTS, 'A user with this email already exists'],
  [Constraint.accountsName]: [ErrorCode.ACCOUNT_ALREADY_EXISTS, 'An account with this name already exists'],
  [Constraint.membershipsAccountUser]: [ErrorCode.USER_ALREADY_IN_ACCOUNT, 'The user already belongs to this account'],
  [Constraint.invitationsPendingEmail]: [ErrorCode.USER_ALREADY_IN_ACCOUNT, 'This email already has a pending invitation'],
};

/** PostgreSQL error classes that mean the input could not be stored, not that the server failed. */
const INPUT_ERRORS: Record<string, string> = {
  '22001': 'A value is too long',
  '22003': 'A number is out of range',
  '22007': 'A date or time is malformed',
  '22008': 'A date or time is out of range',
  '22021': 'A text contains a character that cannot be stored (such as NUL)',
  '22P02': 'A value is malformed',
  '22P05': 'A text contains a character that cannot be stored (such as NUL)',
};

/**
 * The database is away or too busy (a restart, a terminated connection, a pool or lock wait that
 * timed out, a statement over its time): the request may succeed if retried, so 503, not 500.
 */
const UNAVAILABLE_SQLSTATES = /^(08|57P0[1-3]|57014|55P03|53300)/;
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);
const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

export interface MappedDatabaseError {
  code: ErrorCode;
  message: string;
}

/** Maps a database error to an API error by the constraint it broke or its class, or undefined. */
export function mapDatabaseError(error: unknown): MappedDatabaseError | undefined {
  if (isDatabaseUnavailable(error)) return { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'The database is unavailable or busy: retry shortly' };
  if (!(error instanceof QueryFailedError)) return undefined;
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  if (code === '23505') {
    const known = constraint ? UNIQUE_VIOLATIONS[constraint] : undefined;
    return known ? { code: known[0], message: known[1] } : { code: ErrorCode.CONFLICT, message: 'The resource already exists' };
  }
  if (code && INPUT_ERRORS[code]) return { code: ErrorCode.VALIDATION_FAILED, message: INPUT_ERRORS[code] };
  return undefined;
}

function isDatabaseUnavailable(error: unknown): boolean {
  const cause = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (!(cause instanceof Error)) return false;
  const { code } = cause as { code?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
  return UNAVAILABLE_MESSAGES.test(cause.message);
}
