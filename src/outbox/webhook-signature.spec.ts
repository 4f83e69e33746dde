import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"type":"membership.added"}';

  it('is HMAC-SHA256 of "<t>.<body>" keyed by the secret, as documented', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1700000000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies within the tolerance, and refuses another body, secret or an old timestamp', () => {
    const header = signWebhook(secret, 1700000000, body);
    expect(verifyWebhookSignature(secret, header, body, 1700000100)).toBe(true);
    expect(verifyWebhookSignature(secret, header, `${body} `, 1700000100)).toBe(false);
    expect(verifyWebhookSignature('whsec_other', header, body, 1700000100)).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, 1700000301)).toBe(false);
    expect(verifyWebhookSignature(secret, 't=1700000000,v1=00', body, 1700000000)).toBe(false);
    expect(verifyWebhookSignature(secret, 'garbage', body, 1700000000)).toBe(false);
  });
});
