import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/**
 * `/api/v2/standalone-account` exists only in a standalone deployment (403 `NOT_STANDALONE`) and,
 * when `BOOTSTRAP_TOKEN` is set, needs it as the bearer token (401 `UNAUTHENTICATED`), compared in
 * constant time. Checked before the body is validated.
 */
@Injectable()
export class StandaloneGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (!this.config.standaloneMode) throw new AppError(ErrorCode.NOT_STANDALONE, 'This is not a standalone deployment');
    const expected = this.config.bootstrapToken;
    if (expected === undefined) return true;
    const header = ctx.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    // Equal-length digests: the comparison time tells nothing about the token, not even its length.
    if (!timingSafeEqual(digest(given), digest(expected))) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'The bootstrap token is required as the bearer token');
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
