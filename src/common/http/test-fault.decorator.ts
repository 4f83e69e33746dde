import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * `x-test-fault: after-last-insert` makes a multi-row creation (signup, the Portal's and v1's
 * account creation) fail after its last insert, to prove that it rolls back whole. Only the test
 * environment acts on it.
 */
export const TEST_FAULT_AFTER_LAST_INSERT = 'after-last-insert';

/** The `x-test-fault` header; unlike `@Headers()` it stays out of the published API document. */
export const TestFault = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<FastifyRequest>().headers['x-test-fault'];
  return typeof value === 'string' ? value : undefined;
});
