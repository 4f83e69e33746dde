import {
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiHeader } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { catchError, from, mergeMap, type Observable, of, throwError } from 'rxjs';
import type { DataSource } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import type { AuthedRequest } from '../http/principal.js';
import { sha256Hex } from '../security/secrets.js';

const KEY = /^[\x21-\x7e]{1,255}$/;
const RETENTION_MS = 24 * 3600 * 1000;
const HTTP_CODE_METADATA = '__httpCode__';

/**
 * `Idempotency-Key` on a creating POST: the first answer is kept for 24 hours and replayed to a
 * retry with the same key (header `Idempotent-Replayed: true`); the same key with another
 * request answers 422 `IDEMPOTENCY_KEY_REUSED`, and while the first is still running 409
 * `IDEMPOTENCY_KEY_IN_USE`. A request that fails keeps nothing, so it may be retried.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly reflector: Reflector,
  ) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const key = req.headers['idempotency-key'];
    if (key === undefined) return next.handle();
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'Idempotency-Key must be 1 to 255 visible ASCII characters', [
        { field: 'Idempotency-Key', problem: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const scope = req.principal ? `user:${req.principal.userId}` : 'anonymous';
    const requestHash = sha256Hex(JSON.stringify([req.method, req.routeOptions.url, req.params, req.body]));
    const now = this.clock.now();

    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at <= $3`, [scope, key, now]);
    const claimed: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
      [scope, key, requestHash, now, new Date(now.getTime() + RETENTION_MS)],
    );
    if (claimed.length === 0) return of(await this.replay(scope, key, requestHash, reply));

    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ?? (req.method === 'POST' ? 201 : 200);
    return next.handle().pipe(
      mergeMap(async (body) => {
        await this.dataSource.query(
          `UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2`,
          [scope, key, status, JSON.stringify(body ?? null)],
        );
        return body;
      }),
      catchError((error: unknown) =>
        from(this.dataSource.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2`, [scope, key])).pipe(
          mergeMap(() => throwError(() => error)),
        ),
      ),
    );
  }

  private async replay(scope: string, key: string, requestHash: string, reply: FastifyReply): Promise<unknown> {
    const [row]: { request_hash: string; response_status: number | null; response_body: unknown }[] = await this.dataSource.query(
      `SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    if (row && row.request_hash !== requestHash) {
      throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request');
    }
    if (!row || row.response_status === null) {
      throw new AppError(ErrorCode.IDEMPOTENCY_KEY_IN_USE, 'A request with this Idempotency-Key is still in progress');
    }
    void reply.status(row.response_status).header('idempotent-replayed', 'true');
    return row.response_body;
  }
}

/**
 * Marks a creating POST as accepting `Idempotency-Key`. Not for routes whose answer carries a
 * secret (a login, an API token): the stored answer would keep it in clear.
 */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'A unique key per intended operation; a retry with the same key gets the first answer (kept 24 hours).',
    }),
    ApiErrors(ErrorCode.IDEMPOTENCY_KEY_IN_USE, ErrorCode.IDEMPOTENCY_KEY_REUSED),
  );
