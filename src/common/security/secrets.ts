import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 in hex: how every secret the service mints is stored. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A prefixed random secret of 256 bits, URL-safe: `acs_rt_…`. */
export function randomSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}
