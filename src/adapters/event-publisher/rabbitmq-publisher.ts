import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { EventPublisher, PlatformEvent } from '../../application/ports/event-publisher.js';
import { DEFAULT_EVENT_SOURCE, DEFAULT_WEBHOOK_TIMEOUT_MS } from './http-webhook-publisher.js';
import { encodeEvent, type WireFormat } from './wire-format.js';

export const DEFAULT_EXCHANGE = 'order-service.events';

export interface RabbitMqOptions {
  /** A durable topic exchange, declared if missing. */
  exchange?: string;
  format?: WireFormat;
  source?: string;
  /** How long one publish may wait for the connection and the broker's confirm. */
  timeoutMs?: number;
}

/**
 * Events to a RabbitMQ topic exchange: routing key = the versioned event type
 * (`order.created.v1`, so consumers bind `order.#`), persistent messages, `message_id` = the
 * outbox id (the same on every retry: consumers deduplicate on it), and publisher confirms: a
 * publish resolves only once the broker has taken the message, so the relay marks nothing SENT
 * that a broker restart could lose. A message no queue is bound for (`mandatory`, returned by the
 * broker) is a failure, not a delivery. A lost connection fails the publishes in flight (they are
 * tried again under the same id) and the next publish connects anew.
 */
export class RabbitMqPublisher implements EventPublisher {
  private readonly exchange: string;
  private readonly timeoutMs: number;
  private opening: Promise<{ connection: ChannelModel; channel: ConfirmChannel }> | null = null;
  /** Message ids the broker returned as unroutable, until their confirm arrives. */
  private readonly returned = new Set<string>();
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly options: RabbitMqOptions = {},
  ) {
    this.exchange = options.exchange ?? DEFAULT_EXCHANGE;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  }

  async publish(event: PlatformEvent): Promise<void> {
    if (this.closed) throw new Error('event broker publisher is closed');
    const { body, contentType, routingKey } = encodeEvent(event, this.options.format ?? 'platform', this.options.source ?? DEFAULT_EVENT_SOURCE);
    const { channel } = await this.within(
      this.open().catch((error: unknown) => {
        throw new Error(`event broker not reached: ${describe(error)}`);
      }),
      'event broker not reached',
    );
    // A return left over from an earlier try whose confirm never came is not this try's.
    this.returned.delete(event.id);
    await this.within(
      new Promise<void>((resolve, reject) => {
        try {
          channel.publish(
            this.exchange,
            routingKey,
            Buffer.from(body),
            {
              persistent: true,
              mandatory: true,
              messageId: event.id,
              type: routingKey,
              contentType,
              timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
              appId: this.options.source ?? DEFAULT_EVENT_SOURCE,
            },
            (error: unknown) => (error ? reject(new Error('event broker did not confirm the message')) : resolve()),
          );
        } catch {
          reject(new Error('event broker channel is closed'));
        }
      }),
      'event broker did not confirm in time',
    );
    // The broker sends basic.return before the confirm of an unroutable message.
    if (this.returned.delete(event.id)) throw new Error(`event broker has no queue bound for ${routingKey}`);
  }

  /** Closes the connection (service stop). */
  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    this.opening = null;
    if (!opening) return;
    const { connection } = await opening.catch(() => ({ connection: null }));
    await connection?.close().catch(() => undefined);
  }

  private open(): Promise<{ connection: ChannelModel; channel: ConfirmChannel }> {
    if (this.opening) return this.opening;
    const opening = (async () => {
      const connection = await amqp.connect(this.url, { timeout: this.timeoutMs });
      const forget = () => {
        if (this.opening === opening) this.opening = null;
      };
      // A lost connection or channel is reopened by the next publish; the error itself is the
      // failed publishes' to report (an unhandled 'error' would end the process).
      connection.on('error', forget);
      connection.on('close', forget);
      try {
        const channel = await connection.createConfirmChannel();
        channel.on('error', forget);
        channel.on('close', forget);
        channel.on('return', (message: { properties: { messageId?: string } }) => {
          if (message.properties.messageId) this.returned.add(message.properties.messageId);
        });
        await channel.assertExchange(this.exchange, 'topic', { durable: true });
        return { connection, channel };
      } catch (error) {
        await connection.close().catch(() => undefined);
        throw error;
      }
    })();
    this.opening = opening;
    opening.catch(() => {
      if (this.opening === opening) this.opening = null;
    });
    return opening;
  }

  /** The work, or an error saying what did not happen in time. */
  private async within<T>(work: Promise<T>, reason: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${reason}: timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A short reason (ECONNREFUSED, ACCESS_REFUSED...), never the URL. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (/ACCESS[-_]REFUSED/i.test(error.message)) return 'ACCESS_REFUSED';
  return error.name;
}
