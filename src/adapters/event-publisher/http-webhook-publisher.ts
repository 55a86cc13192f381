import { DeliveryRefused, type EventPublisher, type PlatformEvent } from '../../application/ports/event-publisher.js';
import type { WebhookSigner } from './webhook-signature.js';
import { encodeEvent, type WireFormat } from './wire-format.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;
export const DEFAULT_EVENT_SOURCE = '/order-service';

export interface WebhookOptions {
  timeoutMs?: number;
  format?: WireFormat;
  /** CloudEvents `source`. */
  source?: string;
  /** Signs each delivery (Standard Webhooks); none: unsigned. */
  signer?: WebhookSigner | null;
  /** Seconds since the epoch, for `webhook-timestamp`. */
  nowSeconds?: () => number;
}

/** Statuses worth trying again: the receiver may take the same request later. */
const RETRYABLE_CLIENT_STATUSES = new Set([408, 429]);

/**
 * The data platform as an HTTP webhook: a POST of the event (platform JSON or a CloudEvent) with
 * `Idempotency-Key` and Standard Webhooks' `webhook-id` (the event id), `webhook-timestamp` and,
 * with secrets, `webhook-signature`. Any 2xx is delivered; a 4xx other than 408 and 429 is
 * refused for good (DeliveryRefused); anything else, or no answer within the timeout, throws to
 * be tried again. Errors name the status or the kind of failure, never the URL: it may carry
 * credentials or a token.
 */
export class HttpWebhookPublisher implements EventPublisher {
  private readonly url: string;
  private readonly authorization: string | null;
  private readonly timeoutMs: number;

  constructor(
    url: string,
    private readonly options: WebhookOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    // fetch refuses URLs with credentials: they travel as Basic authorization instead.
    const parsed = new URL(url);
    this.authorization =
      parsed.username || parsed.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
        : null;
    parsed.username = '';
    parsed.password = '';
    this.url = parsed.toString();
  }

  async publish(event: PlatformEvent): Promise<void> {
    const { body, contentType } = encodeEvent(event, this.options.format ?? 'platform', this.options.source ?? DEFAULT_EVENT_SOURCE);
    // Standard Webhooks: the id is the event's, the same on every retry, so receivers dedupe on it.
    const timestamp = (this.options.nowSeconds ?? (() => Math.floor(Date.now() / 1000)))();
    const signer = this.options.signer;
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'idempotency-key': event.id,
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          ...(signer ? { 'webhook-signature': signer.sign(event.id, timestamp, body) } : {}),
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body,
        // A redirect is not a delivery (and following one would turn the POST into a GET).
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new Error(`data platform not reached: ${describeFetchError(error, this.timeoutMs)}`);
    }
    // The body is not needed, but reading it lets the connection be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status > 299) {
      const message = `data platform answered HTTP ${response.status}`;
      // 4xx: the receiver refuses this request and would refuse it again, unless it asks for time.
      if (response.status >= 400 && response.status < 500 && !RETRYABLE_CLIENT_STATUSES.has(response.status)) throw new DeliveryRefused(message);
      throw new Error(message);
    }
  }
}

/** A short reason, e.g. "ECONNREFUSED" or "timed out after 5000 ms": nothing from the URL. */
function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown; name?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.name === 'string') return cause.name;
  return error instanceof Error ? error.name : 'unknown error';
}
