import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp, { type Channel, type GetMessage } from 'amqplib';
import { inCi, runId } from './environment.js';

const run = promisify(execFile);

/** The run's RabbitMQ (TEST_RABBITMQ_URL), or a skip — a failure in CI — when there is none. */
export async function requireRabbitMq(ctx: Mocha.Context): Promise<string> {
  const url = process.env['TEST_RABBITMQ_URL'];
  if (url) return url;
  if (inCi()) throw new Error('TEST_RABBITMQ_URL must be set in CI: the broker tests run against real RabbitMQ there');
  ctx.skip();
}

/** An exchange name of this run's own, so runs and tests never see each other's messages. */
export const exchangeName = (label: string) => `test.${runId}.${label}.${Math.random().toString(36).slice(2, 8)}`;

/** The test's durable queue, bound to the exchange for every routing key: what a consumer reads. */
export const queueName = (exchange: string) => `${exchange}.consumer`;

async function withChannel<T>(url: string, work: (channel: Channel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(url);
  try {
    return await work(await connection.createChannel());
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Declares the exchange and a durable queue bound to it (durable: confirmed messages survive a broker restart). */
export function bindQueue(url: string, exchange: string): Promise<void> {
  return withChannel(url, async (channel) => {
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(queueName(exchange), { durable: true });
    await channel.bindQueue(queueName(exchange), exchange, '#');
  });
}

/** Every message waiting in the test's queue, taken off it. */
export function drain(url: string, exchange: string): Promise<GetMessage[]> {
  return withChannel(url, async (channel) => {
    const messages: GetMessage[] = [];
    for (;;) {
      const message = await channel.get(queueName(exchange), { noAck: true });
      if (message === false) return messages;
      messages.push(message);
    }
  });
}

/** Drops the test's exchange and queue. */
export async function dropExchange(url: string, exchange: string): Promise<void> {
  await withChannel(url, async (channel) => {
    await channel.deleteQueue(queueName(exchange));
    await channel.deleteExchange(exchange);
  }).catch(() => undefined);
}

/** Cuts every client connection from the broker's side (as a network cut or a broker kill would). */
export async function cutConnections(): Promise<void> {
  await run('rabbitmqctl', ['close_all_connections', 'cut by a test']);
}

/** Stops and starts the broker application (a restart: non-durable state is gone, durable queues stay). */
export async function restartBroker(): Promise<void> {
  await run('rabbitmqctl', ['stop_app']);
  await run('rabbitmqctl', ['start_app']);
  await run('rabbitmqctl', ['await_startup']);
}
