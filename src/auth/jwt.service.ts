import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** The token type of access JWTs (RFC 9068): a JWT of another type is never taken for one. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
const ALGORITHM = 'HS256';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface AccessClaims {
  userId: number;
  sessionId: string;
  iat?: number;
  exp?: number;
}

/**
 * Signs and verifies access JWTs with one pinned algorithm and a key prepared once (a string
 * key costs jsonwebtoken a PEM probe on every call). Header tricks are refused: `alg` other than
 * the pinned one, embedded `jwk`/`jku`/`x5u`/`x5c`, a `kid`, or a `typ` other than `at+jwt`.
 */
@Injectable()
export class AccessTokenService {
  private readonly key: KeyObject;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.key = createSecretKey(config.jwt.secret);
  }

  get ttlSeconds(): number {
    return this.config.jwt.accessTtl;
  }

  sign({ userId, sessionId }: AccessClaims): string {
    const iat = this.clock.nowSeconds();
    return jwt.sign({ sid: sessionId, iat, exp: iat + this.config.jwt.accessTtl }, this.key, {
      algorithm: ALGORITHM,
      header: { alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE },
      subject: String(userId),
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
    });
  }

  /** The claims of a valid access token, or null for anything else. */
  verify(token: string): AccessClaims | null {
    try {
      const { header, payload } = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        clockTimestamp: this.clock.nowSeconds(),
        complete: true,
      });
      const h = header as unknown as Record<string, unknown>;
      if (h.typ !== ACCESS_TOKEN_TYPE || 'kid' in h || 'jwk' in h || 'jku' in h || 'x5u' in h || 'x5c' in h) return null;
      const claims = payload as jwt.JwtPayload;
      if (typeof claims.exp !== 'number' || typeof claims.sid !== 'string' || !UUID.test(claims.sid)) return null;
      if (typeof claims.sub !== 'string' || !/^[1-9]\d{0,9}$/.test(claims.sub)) return null;
      return { userId: Number(claims.sub), sessionId: claims.sid, iat: claims.iat, exp: claims.exp };
    } catch {
      return null;
    }
  }
}
