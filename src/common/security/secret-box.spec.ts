import { describe, expect, it } from '@jest/globals';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(Buffer.from('k'.repeat(32)));

  it('opens what it sealed, and seals the same text differently each time', () => {
    const first = box.seal('whsec_abc');
    const second = box.seal('whsec_abc');
    expect(first).not.toBe(second);
    expect(first).not.toContain('whsec_abc');
    expect(box.open(first)).toBe('whsec_abc');
    expect(box.open(second)).toBe('whsec_abc');
  });

  it('refuses a value sealed under another key, an altered value and garbage', () => {
    const sealed = box.seal('whsec_abc');
    expect(() => new SecretBox(Buffer.from('j'.repeat(32))).open(sealed)).toThrow();
    const [version, iv, tag, ciphertext] = sealed.split('.');
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0] ^= 1;
    expect(() => box.open([version, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => box.open('whsec_abc')).toThrow('Not a sealed secret');
  });
});
