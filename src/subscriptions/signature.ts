import { createHmac } from 'node:crypto';

/**
 * The signature headers of a notification: the time it was signed and an HMAC-SHA256 of
 * "<timestamp>.<body>" with the Subscription's secret, so the receiver can check where it came
 * from and refuse a replay of an old one.
 */
export function signatureHeaders(secret: string, body: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'X-Serium-Timestamp': timestamp, 'X-Serium-Signature': `sha256=${mac}` };
}
