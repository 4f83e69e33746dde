/**
 * Every environment variable the service reads, in the order of `.env.example`.
 * Each entry parses the raw string (or its absence) and throws a message naming the problem;
 * `loadConfig()` prefixes it with the variable's name. Nothing else in the code reads `process.env`.
 */
type Parser<T> = (raw: string | undefined) => T;

const string =
  (fallback?: string): Parser<string | undefined> =>
  (raw) =>
    raw === undefined || raw === '' ? fallback : raw;

const integer =
  (fallback: number, min: number, max: number): Parser<number> =>
  (raw) => {
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) throw new Error(`must be an integer, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max}, got ${value}`);
    return value;
  };

const boolean =
  (fallback: boolean): Parser<boolean> =>
  (raw) => {
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new Error(`must be true or false, got "${raw}"`);
  };

const oneOf =
  <T extends string>(values: readonly T[], fallback: T): Parser<T> =>
  (raw) => {
    if (raw === undefined || raw === '') return fallback;
    if (!values.includes(raw as T)) throw new Error(`must be one of ${values.join(', ')}, got "${raw}"`);
    return raw as T;
  };

const url =
  (protocols: string[]): Parser<string | undefined> =>
  (raw) => {
    if (raw === undefined || raw === '') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error('must be a URL');
    }
    if (!protocols.includes(parsed.protocol)) throw new Error(`must use ${protocols.join(' or ')}`);
    return raw;
  };

/** A comma-separated list of PostgreSQL URLs, or empty. */
const postgresUrls: Parser<string[]> = (raw) => {
  const items = (raw ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  for (const item of items) url(['postgres:', 'postgresql:'])(item);
  return items;
};

/** A comma-separated list of web origins (`https://app.example.com`), or empty. */
const origins: Parser<string[]> = (raw) => {
  const items = (raw ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  for (const item of items) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(item);
    } catch {
      // reported below
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== item) {
      throw new Error(`must list origins such as https://app.example.com, got "${item}"`);
    }
  }
  return items;
};

/** A duration such as `900`, `900s`, `15m`, `12h` or `30d`, returned in seconds. */
const duration =
  (fallbackSeconds: number, maxSeconds: number): Parser<number> =>
  (raw) => {
    if (raw === undefined || raw === '') return fallbackSeconds;
    const match = /^(\d+)([smhd]?)$/.exec(raw);
    if (!match) throw new Error(`must be a duration such as 900, 15m, 12h or 30d, got "${raw}"`);
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
    const seconds = Number(match[1]) * unit;
    if (seconds < 1 || seconds > maxSeconds) throw new Error(`must be between 1 s and ${maxSeconds} s`);
    return seconds;
  };

export const envSchema = {
  NODE_ENV: oneOf(['development', 'production', 'test'] as const, 'development'),
  HOST: string('0.0.0.0'),
  PORT: integer(3000, 0, 65535),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATABASE_REPLICA_URLS: postgresUrls,
  DATA_DIR: string('./data'),
  MIGRATIONS_RUN: boolean(true),
  JWT_ALGORITHM: oneOf(['HS256', 'ES256'] as const, 'HS256'),
  JWT_SECRET: string(),
  JWT_PRIVATE_KEY: string(),
  JWT_PREVIOUS_PUBLIC_KEYS: string(),
  JWT_ISSUER: string('accounts-service'),
  JWT_AUDIENCE: string('accounts-service'),
  JWT_ACCESS_TTL: duration(900, 900),
  JWT_REFRESH_TTL: duration(30 * 86400, 365 * 86400),
  SELF_SERVICE_SIGNUP: boolean(true),
  STANDALONE_MODE: boolean(false),
  BOOTSTRAP_TOKEN: string(),
  ENFORCE_PASSWORD_STRENGTH: boolean(false),
  DEFAULT_PLAN: string('free'),
  APP_URL: url(['http:', 'https:']),
  SMTP_URL: url(['smtp:', 'smtps:']),
  MAIL_FROM: string('Accounts <no-reply@localhost>'),
  OUTBOX_POLL_MS: integer(1000, 50, 60000),
  ENCRYPTION_KEY: string(),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: boolean(false),
  REDIS_URL: url(['redis:', 'rediss:']),
  RATE_LIMIT_ENABLED: boolean(true),
  RATE_LIMIT_PER_MINUTE: integer(30, 1, 100000),
  CORS_ORIGINS: origins,
  METRICS_TOKEN: string(),
  SHUTDOWN_TIMEOUT_MS: integer(10000, 100, 600000),
  TRUST_PROXY: boolean(false),
} as const;

export type RawEnv = Record<string, string | undefined>;
export type Env = { [K in keyof typeof envSchema]: ReturnType<(typeof envSchema)[K]> };
