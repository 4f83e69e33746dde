import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './app-config.js';

const secret = 's'.repeat(32);

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ JWT_SECRET: secret });
    expect(config.http).toEqual({ host: '0.0.0.0', port: 3000, trustProxy: false });
    expect(config.jwt.accessTtl).toBe(900);
    expect(config.jwt.refreshTtl).toBe(30 * 86400);
    expect(config.database.url).toBeUndefined();
    expect(config.database.migrationsRun).toBe(true);
    expect(config.selfServiceSignup).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });

  it.each([
    ['PORT', 'eighty', /PORT must be an integer/],
    ['PORT', '70000', /PORT must be between 0 and 65535/],
    ['DATABASE_URL', 'mysql://localhost/db', /DATABASE_URL must use postgres: or postgresql:/],
    ['JWT_ACCESS_TTL', '1h', /JWT_ACCESS_TTL must be between 1 s and 900 s/],
    ['SELF_SERVICE_SIGNUP', 'yes', /SELF_SERVICE_SIGNUP must be true or false/],
    ['NODE_ENV', 'staging', /NODE_ENV must be one of/],
    ['JWT_SECRET', 'short', /JWT_SECRET must be at least 32 bytes/],
  ])('stops on a bad %s with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ JWT_SECRET: secret, [name]: value })).toThrow(message);
  });

  it('reads durations in s, m, h and d', () => {
    expect(loadConfig({ JWT_SECRET: secret, JWT_ACCESS_TTL: '5m', JWT_REFRESH_TTL: '7d' }).jwt).toMatchObject({
      accessTtl: 300,
      refreshTtl: 7 * 86400,
    });
  });

  it('requires JWT_SECRET and ENCRYPTION_KEY in production, each of at least 32 bytes', () => {
    const secret = 'x'.repeat(32);
    expect(() => loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: secret })).toThrow(/JWT_SECRET is required when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret })).toThrow(/ENCRYPTION_KEY is required when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, ENCRYPTION_KEY: 'short' })).toThrow(/ENCRYPTION_KEY must be at least 32 bytes/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, ENCRYPTION_KEY: secret }).encryptionKey.toString()).toBe(secret);
  });

  it('takes read replicas only beside a primary, as PostgreSQL URLs', () => {
    const primary = 'postgres://db-primary/accounts';
    expect(loadConfig({ DATABASE_URL: primary, DATABASE_REPLICA_URLS: 'postgres://r1/accounts, postgres://r2/accounts' }).database.replicaUrls).toEqual([
      'postgres://r1/accounts',
      'postgres://r2/accounts',
    ]);
    expect(loadConfig({ DATABASE_URL: primary }).database.replicaUrls).toEqual([]);
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://r1/accounts' })).toThrow(/DATABASE_REPLICA_URLS needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: primary, DATABASE_REPLICA_URLS: 'mysql://r1/accounts' })).toThrow(/DATABASE_REPLICA_URLS must use postgres:/);
  });

  it('outside production, creates a secret under the data folder once and keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-spec-'));
    const first = loadConfig({ DATA_DIR: dir }).jwt.secret!;
    const second = loadConfig({ DATA_DIR: dir }).jwt.secret!;
    expect(first.length).toBe(32);
    expect(second.equals(first)).toBe(true);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8').length).toBeGreaterThan(40);
    const key = loadConfig({ DATA_DIR: dir }).encryptionKey;
    expect(key.length).toBe(32);
    expect(key.equals(first)).toBe(false);
    expect(loadConfig({ DATA_DIR: dir }).encryptionKey.equals(key)).toBe(true);
  });
});

describe('loadConfig for ES256', () => {
  it('takes a P-256 private key, with \\n escapes', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().replace(/\n/g, '\\n');
    const config = loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: pem });
    expect(config.jwt.privateKey?.asymmetricKeyType).toBe('ec');
    expect(config.jwt.secret).toBeUndefined();
  });

  it('takes previous public keys for the rotation, only with ES256 and only P-256', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve });
    const current = pem('prime256v1').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const [a, b] = [pem('prime256v1'), pem('prime256v1')].map((k) => k.publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const config = loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: current, JWT_PREVIOUS_PUBLIC_KEYS: (a + b).replace(/\n/g, '\\n') });
    expect(config.jwt.previousPublicKeys.map((k) => k.export({ format: 'pem', type: 'spki' }).toString())).toEqual([a, b]);
    expect(() => loadConfig({ JWT_PREVIOUS_PUBLIC_KEYS: a })).toThrow(/needs JWT_ALGORITHM=ES256/);
    expect(() => loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: current, JWT_PREVIOUS_PUBLIC_KEYS: 'nope' })).toThrow(/must hold PEM public keys/);
    const p384 = pem('secp384r1').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: current, JWT_PREVIOUS_PUBLIC_KEYS: p384 })).toThrow(/P-256/);
  });

  it('refuses a missing key, a non-PEM value and another curve', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const p384 = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => loadConfig({ JWT_ALGORITHM: 'ES256' })).toThrow(/JWT_PRIVATE_KEY is required/);
    expect(() => loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: 'nope' })).toThrow(/JWT_PRIVATE_KEY must be a PEM/);
    expect(() => loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: p384 })).toThrow(/P-256/);
  });
});
