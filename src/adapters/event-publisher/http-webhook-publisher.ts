import type { EventPublisher, PlatformEvent } from '../../application/ports/event-publisher.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * The data platform as an HTTP webhook: a POST of the event's JSON with `Idempotency-Key: <event
 * id>`; any 2xx is delivered, anything else (or no answer within the timeout) throws. Errors name
 * the status or the kind of failure, never the URL: it may carry credentials or a token.
 */
export class HttpWebhookPublisher implements EventPublisher {
  private readonly url: string;
  private readonly authorization: string | null;

  constructor(
    url: string,
    private readonly timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS,
  ) {
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
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': event.id,
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body: JSON.stringify(event),
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
      throw new Error(`data platform answered HTTP ${response.status}`);
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
