import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How webhook deliveries are signed. The `Webhook-Signature` header is `t=<unix seconds>,v1=<hex>`
 * where the hex is HMAC-SHA256, keyed by the webhook's secret (`whsec_…`, as UTF-8), of
 * `<t>.<the raw request body>`. A receiver recomputes it over the body exactly as received,
 * compares in constant time, and refuses a `t` too far from its own clock (replays).
 */
export const SIGNATURE_HEADER = 'webhook-signature';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/** The receiver's check (also what the tests use): signature valid and `t` within `toleranceSeconds` of `nowSeconds`. */
export function verifyWebhookSignature(secret: string, header: string, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.get('t'));
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  if (!Number.isSafeInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}
