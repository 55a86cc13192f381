import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import knexFactory, { type Knex } from 'knex';
import { cpuSnapshot, describeCpu } from './cpu.js';
import { type BenchServer, startBenchServer } from './server.js';

const EVENTS = 20_000;
const AGGREGATES = 5_000;

interface Receiver {
  outlet: string;
  env: Record<string, string>;
  stats(): { requests: number; distinct: number; duplicates: number };
  stop(): Promise<unknown>;
}

/** The data platform in this process: answers 204 to every event and counts them by id. */
async function startReceiver(): Promise<Receiver> {
  const seen = new Map<string, number>();
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      const key = String(req.headers['idempotency-key']);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    outlet: 'HTTP webhook',
    env: { DATA_PLATFORM_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events` },
    stats: () => ({ requests, distinct: seen.size, duplicates: requests - seen.size }),
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A consumer of its own queue on a fresh exchange of the broker (BENCH_RABBITMQ_URL, default the
 * local one), counting messages by message_id; null when no broker answers.
 */
async function startBrokerConsumer(): Promise<Receiver | null> {
  const url = process.env['BENCH_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
  const connection = await amqp.connect(url).catch(() => null);
  if (!connection) return null;
  const exchange = `bench.outbox.${process.pid}.${Date.now()}`;
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, '#');
  await channel.prefetch(1_000);
  const seen = new Map<string, number>();
  let messages = 0;
  await channel.consume(queue, (message) => {
    if (!message) return;
    messages += 1;
    const id = String(message.properties.messageId);
    seen.set(id, (seen.get(id) ?? 0) + 1);
    channel.ack(message);
  });
  return {
    outlet: 'RabbitMQ (publisher confirms)',
    env: { EVENT_PUBLISHER: 'rabbitmq', RABBITMQ_URL: url, RABBITMQ_EXCHANGE: exchange },
    stats: () => ({ requests: messages, distinct: seen.size, duplicates: messages - seen.size }),
    stop: async () => {
      await channel.deleteExchange(exchange).catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/** EVENTS PENDING order events over AGGREGATES aggregates, straight into the outbox, in one statement. */
async function seed(db: Knex): Promise<void> {
  await db.raw(
    `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at)
     SELECT (ARRAY['OrderCreated', 'PaymentCompleted', 'RefundCompleted', 'OrderCancelled'])[1 + (n / ?) % 4], 'Order', 1 + n % ?,
            jsonb_build_object('id', 1 + n % ?, 'status', 'CONFIRMED', 'totalAmount', 59000, 'items', jsonb_build_array(jsonb_build_object('productId', 1, 'quantity', 1))),
            now(), now()
     FROM generate_series(0, ? - 1) AS n`,
    [AGGREGATES, AGGREGATES, AGGREGATES, EVENTS],
  );
}

async function sentCount(db: Knex): Promise<number> {
  const [row] = await db('outbox_events').where('status', 'SENT').count<{ n: string }[]>({ n: '*' });
  return Number(row?.n ?? 0);
}

/**
 * The relay's throughput: EVENTS events written straight into a fresh database, delivered by the
 * service's relay job (JOB_INTERVAL_MS 50) to a receiver in this process over HTTP; events per
 * second from the seed's commit until the last is SENT, with one instance and with two, through
 * each outlet: the HTTP webhook and, when a broker answers, RabbitMQ with publisher confirms.
 */
export async function outboxScenario(_unused: unknown, options: { instances: number }): Promise<void> {
  const broker = await startBrokerConsumer();
  if (!broker) console.log('  no RabbitMQ at BENCH_RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672): the broker outlet is left out');
  for (const receiver of [await startReceiver(), ...(broker ? [broker] : [])]) {
    console.log(`- outlet: ${receiver.outlet}`);
    await relayThrough(receiver, options.instances);
  }
}

async function relayThrough(receiver: Receiver, instanceCount: number): Promise<void> {
  const env = { ...receiver.env, JOB_INTERVAL_MS: '50' };
  const counts = [...new Set([1, Math.max(2, instanceCount)])];
  try {
    for (const instances of counts) {
      const servers: BenchServer[] = [await startBenchServer(env)];
      try {
        const first = servers[0] as BenchServer;
        if (!first.databaseUrl) {
          console.log('  the outbox scenario seeds PostgreSQL directly: set BENCH_DATABASE_URL to a server (not embedded)');
          return;
        }
        for (let i = 1; i < instances; i++) servers.push(await startBenchServer(env, [], first));
        const db = knexFactory({ client: 'pg', connection: first.databaseUrl, pool: { min: 0, max: 1 } });
        try {
          const before = receiver.stats();
          const cpuBefore = cpuSnapshot(servers.map((s) => s.pid));
          const started = performance.now();
          await seed(db);
          const seeded = performance.now();
          let sent = 0;
          while ((sent = await sentCount(db)) < EVENTS) {
            if (performance.now() - seeded > 300_000) throw new Error(`only ${sent} of ${EVENTS} sent after 5 minutes`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          const seconds = (performance.now() - seeded) / 1000;
          const after = receiver.stats();
          console.log(
            `-- ${EVENTS.toLocaleString('en')} events over ${AGGREGATES.toLocaleString('en')} orders, ${instances} instance(s): ` +
              `${Math.round(EVENTS / seconds).toLocaleString('en')} events/s delivered (${seconds.toFixed(2)} s after the seed committed; seeding took ${((seeded - started) / 1000).toFixed(2)} s)`,
          );
          console.log(
            `  receiver: ${after.requests - before.requests} deliveries, ${after.distinct - before.distinct} distinct ids, ${after.duplicates - before.duplicates} duplicates`,
          );
          console.log(
            describeCpu(cpuBefore, cpuSnapshot(servers.map((s) => s.pid)), EVENTS, { self: 'receiver and seeding', processes: 'service' }).replace(
              'per paid order',
              'per event',
            ),
          );
        } finally {
          await db.destroy();
        }
      } finally {
        for (const server of servers.reverse()) await server.stop();
      }
    }
  } finally {
    await receiver.stop();
  }
}
