import { applyDecorators, type CanActivate, type ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, type RateLimiterAbstract, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { ErrorBodyDto } from '../../common/http/api-errors.decorator.js';
import { REDIS } from '../../common/redis/redis.module.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

const WINDOW_SECONDS = 60;

/**
 * Per-client-IP limits on the unauthenticated routes: `RATE_LIMIT_PER_MINUTE` requests per
 * minute per route. Beyond: 429 `TOO_MANY_REQUESTS` with `Retry-After`; every answer carries the
 * `RateLimit-*` headers. The client IP is the socket's, or `X-Forwarded-For` with `TRUST_PROXY`.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter?: RateLimiterAbstract;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(REDIS) redis: Redis | null) {
    if (!config.rateLimit.enabled) return;
    const options = { keyPrefix: 'rate', points: config.rateLimit.perMinute, duration: WINDOW_SECONDS };
    this.limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis }) : new RateLimiterMemory(options);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (!this.limiter) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const key = `${req.routeOptions.url}:${req.ip}`;
    try {
      const res = await this.limiter.consume(key);
      setHeaders(reply, this.config.rateLimit.perMinute, res);
      return true;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      setHeaders(reply, this.config.rateLimit.perMinute, error);
      throw new AppError(ErrorCode.TOO_MANY_REQUESTS, 'Too many requests: try again later', undefined, Math.ceil(error.msBeforeNext / 1000));
    }
  }
}

function setHeaders(reply: FastifyReply, limit: number, res: RateLimiterRes): void {
  void reply.header('ratelimit-limit', limit);
  void reply.header('ratelimit-remaining', Math.max(0, res.remainingPoints));
  void reply.header('ratelimit-reset', Math.ceil(res.msBeforeNext / 1000));
  void reply.header('ratelimit-policy', `${limit};w=${WINDOW_SECONDS}`);
}

/** Limits the route per client IP (see `RateLimitGuard`). */
export const RateLimited = () =>
  applyDecorators(
    UseGuards(RateLimitGuard),
    ApiResponse({ status: 429, description: 'TOO_MANY_REQUESTS (with Retry-After)', type: ErrorBodyDto }),
  );
