import { createPrivateKey, createPublicKey, KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Env, type RawEnv, envSchema } from './env.schema.js';

export interface AppConfig {
  readonly env: Env['NODE_ENV'];
  readonly isTest: boolean;
  readonly http: { readonly host: string; readonly port: number; readonly trustProxy: boolean };
  readonly logLevel: Env['LOG_LEVEL'];
  readonly database: {
    /** PostgreSQL connection string; when absent the embedded database under `dataDir` is used. */
    readonly url?: string;
    /** Read replicas of `url`, for the reads that may lag (lists of audit events and users). */
    readonly replicaUrls: readonly string[];
    readonly dataDir: string;
    readonly migrationsRun: boolean;
  };
  readonly jwt: {
    readonly algorithm: 'HS256' | 'ES256';
    /** HS256: the shared secret. */
    readonly secret?: Buffer;
    /** ES256: the P-256 private key (its public half is published at `/.well-known/jwks.json`). */
    readonly privateKey?: KeyObject;
    /** ES256: public keys of earlier private keys, still published and accepted (key rotation). */
    readonly previousPublicKeys: readonly KeyObject[];
    readonly issuer: string;
    readonly audience: string;
    /** Seconds. */
    readonly accessTtl: number;
    /** Seconds. */
    readonly refreshTtl: number;
  };
  readonly selfServiceSignup: boolean;
  /** A standalone deployment: one account (`standalone`), created once through `/api/v2/standalone-account`. */
  readonly standaloneMode: boolean;
  /** When set, `/api/v2/standalone-account` requires it as the bearer token. */
  readonly bootstrapToken?: string;
  /** Score new passwords with a strength estimator (the minimum length always holds). */
  readonly enforcePasswordStrength: boolean;
  /** The plan of accounts created without one. */
  readonly defaultPlan: string;
  /** Base of the links in mails (invitations, password reset, email verification). */
  readonly appUrl: string;
  readonly mail: {
    /** SMTP server; when absent, mails are written as `.eml` files under `<dataDir>/mail`. */
    readonly smtpUrl?: string;
    readonly from: string;
    readonly fileDir: string;
  };
  readonly outbox: { readonly pollMs: number };
  /**
   * The key that encrypts the secrets the service must read back (webhook signing secrets):
   * `ENCRYPTION_KEY`, or outside production one generated once under the data folder.
   */
  readonly encryptionKey: Buffer;
  readonly webhooks: {
    /** Deliver to loopback, private and link-local addresses (refused by default: SSRF). */
    readonly allowPrivateNetworks: boolean;
  };
  /** Shared counters for rate limits and login lockouts across instances; in memory when absent. */
  readonly redisUrl?: string;
  readonly rateLimit: {
    readonly enabled: boolean;
    /** Requests per minute per client IP on each unauthenticated route. */
    readonly perMinute: number;
  };
  /** Web origins allowed by CORS; none when empty. */
  readonly corsOrigins: readonly string[];
  /** Bearer token for `GET /metrics`; the route is off without one. */
  readonly metricsToken?: string;
  /** How long a SIGTERM waits for in-flight requests and the outbox before exiting. */
  readonly shutdownTimeoutMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {}

/** Validates the environment and returns the typed, frozen configuration. */
export function loadConfig(raw: RawEnv = process.env): AppConfig {
  const env = {} as Record<string, unknown>;
  const problems: string[] = [];
  for (const [name, parse] of Object.entries(envSchema)) {
    try {
      env[name] = (parse as (value: string | undefined) => unknown)(raw[name]);
    } catch (error) {
      problems.push(`${name} ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  const e = env as Env;
  const dataDir = resolve(e.DATA_DIR ?? './data');

  return deepFreeze({
    env: e.NODE_ENV,
    isTest: e.NODE_ENV === 'test',
    http: { host: e.HOST ?? '0.0.0.0', port: e.PORT, trustProxy: e.TRUST_PROXY },
    logLevel: e.LOG_LEVEL,
    database: { url: e.DATABASE_URL, replicaUrls: replicaUrls(e), dataDir, migrationsRun: e.MIGRATIONS_RUN },
    jwt: {
      algorithm: e.JWT_ALGORITHM,
      ...(e.JWT_ALGORITHM === 'ES256' ? { privateKey: jwtPrivateKey(e) } : { secret: keptSecret(e, dataDir, 'JWT_SECRET', 'jwt-secret') }),
      previousPublicKeys: jwtPreviousPublicKeys(e),
      issuer: e.JWT_ISSUER ?? 'accounts-service',
      audience: e.JWT_AUDIENCE ?? 'accounts-service',
      accessTtl: e.JWT_ACCESS_TTL,
      refreshTtl: e.JWT_REFRESH_TTL,
    },
    selfServiceSignup: e.SELF_SERVICE_SIGNUP,
    standaloneMode: e.STANDALONE_MODE,
    bootstrapToken: e.BOOTSTRAP_TOKEN,
    enforcePasswordStrength: e.ENFORCE_PASSWORD_STRENGTH,
    defaultPlan: e.DEFAULT_PLAN ?? 'free',
    appUrl: (e.APP_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM ?? 'Accounts <no-reply@localhost>', fileDir: join(dataDir, 'mail') },
    outbox: { pollMs: e.OUTBOX_POLL_MS },
    encryptionKey: keptSecret(e, dataDir, 'ENCRYPTION_KEY', 'encryption-key'),
    webhooks: { allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS },
    redisUrl: e.REDIS_URL,
    rateLimit: { enabled: e.RATE_LIMIT_ENABLED, perMinute: e.RATE_LIMIT_PER_MINUTE },
    corsOrigins: e.CORS_ORIGINS,
    metricsToken: e.METRICS_TOKEN,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  });
}

/** The ES256 private key from `JWT_PRIVATE_KEY` (PEM; `\n` escapes allowed). */
function jwtPrivateKey(env: Env): KeyObject {
  if (!env.JWT_PRIVATE_KEY) throw new ConfigError('Invalid configuration: JWT_PRIVATE_KEY is required when JWT_ALGORITHM=ES256');
  let key: KeyObject;
  try {
    key = createPrivateKey(env.JWT_PRIVATE_KEY.replace(/\\n/g, '\n'));
  } catch {
    throw new ConfigError('Invalid configuration: JWT_PRIVATE_KEY must be a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError('Invalid configuration: JWT_PRIVATE_KEY must be a P-256 (prime256v1) EC key for ES256');
  }
  return key;
}

function replicaUrls(env: Env): string[] {
  if (env.DATABASE_REPLICA_URLS.length > 0 && !env.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: DATABASE_REPLICA_URLS needs DATABASE_URL (the primary)');
  }
  return env.DATABASE_REPLICA_URLS;
}

/**
 * `JWT_PREVIOUS_PUBLIC_KEYS`: PEM public keys (one after another; `\n` escapes allowed) of the
 * P-256 keys that signed tokens before the current one, kept for one access-token lifetime.
 */
function jwtPreviousPublicKeys(env: Env): KeyObject[] {
  if (!env.JWT_PREVIOUS_PUBLIC_KEYS) return [];
  if (env.JWT_ALGORITHM !== 'ES256') throw new ConfigError('Invalid configuration: JWT_PREVIOUS_PUBLIC_KEYS needs JWT_ALGORITHM=ES256');
  const blocks = env.JWT_PREVIOUS_PUBLIC_KEYS.replace(/\\n/g, '\n').match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError('Invalid configuration: JWT_PREVIOUS_PUBLIC_KEYS must hold PEM public keys');
  return blocks.map((pem) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new ConfigError('Invalid configuration: JWT_PREVIOUS_PUBLIC_KEYS holds a key that is not a PEM public key');
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new ConfigError('Invalid configuration: JWT_PREVIOUS_PUBLIC_KEYS must hold P-256 (prime256v1) EC keys');
    }
    return key;
  });
}

/**
 * A secret of at least 256 bits from the variable `name` (the HS256 secret, the encryption key),
 * or, outside production, one generated once and kept in `<dataDir>/<file>` so that it survives
 * a restart.
 */
function keptSecret(env: Env, dataDir: string, name: 'JWT_SECRET' | 'ENCRYPTION_KEY', file: string): Buffer {
  const configured = env[name];
  if (configured) {
    const secret = Buffer.from(configured, 'utf8');
    if (secret.length < 32) throw new ConfigError(`Invalid configuration: ${name} must be at least 32 bytes (256 bits)`);
    return secret;
  }
  if (env.NODE_ENV === 'production') throw new ConfigError(`Invalid configuration: ${name} is required when NODE_ENV=production`);
  const path = join(dataDir, file);
  if (existsSync(path)) return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
  const secret = randomBytes(32);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, secret.toString('base64url'), { mode: 0o600, flag: 'wx' });
  return secret;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof KeyObject)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
