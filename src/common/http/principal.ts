import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who is calling: resolved from the database on every request by the access-token guard. */
export interface Principal {
  userId: number;
  email: string;
  isAdmin: boolean;
  /** The login session behind an access JWT. */
  sessionId?: string;
  /** The API token the request came with. */
  tokenId?: string;
  /** An API token scoped to one account acts only within it. */
  accountScope?: number | null;
  /** An API token restricted to reading (GET, HEAD, OPTIONS). */
  readOnly?: boolean;
  /** The IP allowlist of the API token (null: any address). A token it creates may only narrow it. */
  ipAllowlist?: readonly string[] | null;
  /** When the API token expires (null: never). A token it creates may not outlive it. */
  expiresAt?: Date | null;
}

export type AuthedRequest = FastifyRequest & { principal?: Principal };

/** The caller of an authenticated route. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});

/** Where a request came from, for sessions and audit events. */
export interface RequestContext {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export const CurrentRequestContext = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  const agent = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null, requestId: String(req.id) };
});
