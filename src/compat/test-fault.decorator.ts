import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The `x-test-fault` header, for the atomicity tests. Only the test environment acts on it (see
 * `CompatAccountsService`); unlike `@Headers()` it stays out of the published API document.
 */
export const TestFault = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<FastifyRequest>().headers['x-test-fault'];
  return typeof value === 'string' ? value : undefined;
});
