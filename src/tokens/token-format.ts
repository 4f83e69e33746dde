import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API token secrets, in the manner of GitHub's: a product prefix, 30 random base62 characters
 * (178 bits) and a 6-character base62 CRC-32 of them. A leaked token is recognisable by its
 * prefix; a mistyped one fails its checksum and is refused before any database lookup.
 */
export const API_TOKEN_PREFIX = 'acs_pat_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const FORMAT = new RegExp(`^${API_TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

export function mintApiToken(): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += ALPHABET[randomInt(ALPHABET.length)];
  return API_TOKEN_PREFIX + random + checksum(random);
}

/** Whether the string looks like an API token at all (its prefix): the guard's JWT-or-token switch. */
export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(API_TOKEN_PREFIX);
}

/** Whether the token is well formed and its checksum matches. */
export function isWellFormedApiToken(value: string): boolean {
  if (!FORMAT.test(value)) return false;
  const body = value.slice(API_TOKEN_PREFIX.length);
  return checksum(body.slice(0, RANDOM_LENGTH)) === body.slice(RANDOM_LENGTH);
}

function checksum(random: string): string {
  let n = crc32(random);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}
