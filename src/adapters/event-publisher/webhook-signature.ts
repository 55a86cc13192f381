import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks 1.0 signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with the secret's bytes (`whsec_` + base64).
 * Several secrets sign with each (space-separated), so a receiver can move to a new secret
 * before the old one is dropped.
 */
export class WebhookSigner {
  private readonly keys: Buffer[];

  constructor(secrets: readonly string[]) {
    this.keys = secrets.map(secretKey);
  }

  /** Every secret's signature of the message, as the header carries them. */
  sign(id: string, timestampSeconds: number, body: string): string {
    return this.keys.map((key) => `v1,${signature(key, id, timestampSeconds, body)}`).join(' ');
  }
}

/** The key of a `whsec_<base64>` secret; throws on anything else (config checks it first). */
export function secretKey(secret: string): Buffer {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (!match) throw new Error('a webhook secret is whsec_ followed by base64');
  const key = Buffer.from(match[1]!, 'base64');
  if (key.length < 24) throw new Error('a webhook secret holds at least 24 bytes');
  return key;
}

function signature(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}

/**
 * What a receiver does (the consumer example and the tests use it): true when one of the header's
 * signatures is the secret's, and the timestamp is within `toleranceSeconds` of now (replays of an
 * old delivery are refused).
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(secretKey(secret), headers.id, timestamp, body));
  return headers.signature.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || value === undefined) return false;
    const given = Buffer.from(value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
