import { describe, expect, it } from '@jest/globals';
import { API_TOKEN_PREFIX, isWellFormedApiToken, looksLikeApiToken, mintApiToken } from './token-format.js';

describe('API token format', () => {
  it('mints prefixed, well-formed, distinct tokens', () => {
    const tokens = Array.from({ length: 200 }, mintApiToken);
    for (const token of tokens) {
      expect(token).toMatch(/^acs_pat_[0-9A-Za-z]{36}$/);
      expect(isWellFormedApiToken(token)).toBe(true);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('refuses any single mistyped character', () => {
    const token = mintApiToken();
    for (let i = API_TOKEN_PREFIX.length; i < token.length; i++) {
      const swapped = token[i] === 'a' ? 'b' : 'a';
      expect(isWellFormedApiToken(token.slice(0, i) + swapped + token.slice(i + 1))).toBe(false);
    }
  });

  it('refuses wrong lengths, prefixes and characters', () => {
    const token = mintApiToken();
    expect(isWellFormedApiToken(token.slice(0, -1))).toBe(false);
    expect(isWellFormedApiToken(`${token}x`)).toBe(false);
    expect(isWellFormedApiToken(token.replace('acs_pat_', 'acs_rt_'))).toBe(false);
    expect(isWellFormedApiToken(`${token.slice(0, -2)}-_`)).toBe(false);
    expect(looksLikeApiToken(token)).toBe(true);
    expect(looksLikeApiToken('eyJhbGciOi')).toBe(false);
  });
});
