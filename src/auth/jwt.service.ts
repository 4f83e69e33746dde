import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { createHash, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Clock } from '../common/clock/clock.js';
import { MAX_ID } from '../common/validation/ids.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** The token type of access JWTs (RFC 9068): a JWT of another type is never taken for one. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Header parameters that would let a token choose its own key: never accepted (RFC 8725, 3.10). */
const FOREIGN_KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'];

export interface AccessClaims {
  userId: number;
  sessionId: string;
  iat?: number;
  exp?: number;
}

export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

/**
 * Signs and verifies access JWTs with one pinned algorithm and keys prepared once (a string key
 * costs jsonwebtoken a PEM probe on every call): HS256 with a shared secret (default), or ES256
 * with a private key whose public half is published as a JWKS, so other services verify tokens
 * without calling back; the public keys of earlier private keys stay published and accepted for
 * the rotation (`JWT_PREVIOUS_PUBLIC_KEYS`). Refused: any other `alg` (`none` included), embedded or remote keys, a
 * `kid` that is not ours, a `typ` other than `at+jwt`.
 */
@Injectable()
export class AccessTokenService {
  private readonly algorithm: 'HS256' | 'ES256';
  private readonly signingKey: KeyObject;
  /** HS256: the shared secret, for verifying too. */
  private readonly secretKey?: KeyObject;
  /** ES256: the RFC 7638 thumbprint of the current public key, the `kid` of new tokens. */
  private readonly keyId?: string;
  /** ES256: the public keys tokens are verified with, by `kid`: the current one and the previous ones. */
  private readonly publicKeys = new Map<string, { key: KeyObject; jwk: PublicJwk }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.algorithm = config.jwt.algorithm;
    if (config.jwt.privateKey) {
      this.signingKey = config.jwt.privateKey;
      for (const key of [createPublicKey(config.jwt.privateKey), ...config.jwt.previousPublicKeys]) {
        const { kty, crv, x, y } = key.export({ format: 'jwk' });
        const kid = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
        this.keyId ??= kid;
        this.publicKeys.set(kid, { key, jwk: { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' } });
      }
    } else {
      this.signingKey = this.secretKey = createSecretKey(config.jwt.secret!);
    }
  }

  get ttlSeconds(): number {
    return this.config.jwt.accessTtl;
  }

  /** The public keys for `/.well-known/jwks.json`, current first (none with a shared secret). */
  jwks(): { keys: PublicJwk[] } {
    return { keys: [...this.publicKeys.values()].map((entry) => entry.jwk) };
  }

  sign({ userId, sessionId }: AccessClaims): string {
    const iat = this.clock.nowSeconds();
    return jwt.sign({ sid: sessionId, iat, exp: iat + this.config.jwt.accessTtl }, this.signingKey, {
      algorithm: this.algorithm,
      header: { alg: this.algorithm, typ: ACCESS_TOKEN_TYPE, ...(this.keyId && { kid: this.keyId }) },
      subject: String(userId),
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
    });
  }

  /** The claims of a valid access token, or null for anything else. */
  verify(token: string): AccessClaims | null {
    try {
      const key = this.secretKey ?? this.publicKeys.get(keyIdOf(token))?.key;
      if (!key) return null;
      const { header, payload } = jwt.verify(token, key, {
        algorithms: [this.algorithm],
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        clockTimestamp: this.clock.nowSeconds(),
        complete: true,
      });
      const h = header as unknown as Record<string, unknown>;
      if (h.typ !== ACCESS_TOKEN_TYPE || FOREIGN_KEY_HEADERS.some((name) => name in h)) return null;
      if (this.secretKey && 'kid' in h) return null;
      const claims = payload as jwt.JwtPayload;
      if (typeof claims.exp !== 'number' || typeof claims.sid !== 'string' || !UUID.test(claims.sid)) return null;
      if (typeof claims.sub !== 'string' || !/^[1-9]\d{0,9}$/.test(claims.sub) || Number(claims.sub) > MAX_ID) return null;
      return { userId: Number(claims.sub), sessionId: claims.sid, iat: claims.iat, exp: claims.exp };
    } catch {
      return null;
    }
  }
}

/** The `kid` in a JWT's header, or '' (read before verifying, only to choose among our own keys). */
function keyIdOf(token: string): string {
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : '';
  } catch {
    return '';
  }
}
